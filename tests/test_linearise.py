"""Scenario 5 of issue 5 (nearly identical filters): the unit swap read off
the graph, and the gradient-descent map linearised at a tied point and
restricted to differences between the two units, against a hand-derived
block and against finite differences of the gradient map at 80 digits."""
import random

import pytest
import sympy as sp

import symgrad as sg
from reference import finite_difference, mp
from symgrad.model.graph import NetworkBuilder
from symgrad.dynamics.linearisation import linearise
from symgrad.model.swaps import unit_swap
from symgrad.specs.description import describe

CONV = {"inputs": 5, "layers": [{"type": "conv1d", "filters": 3, "size": 2, "activation": "tanh"}, {"units": 1}],
        "objective": "squared_error"}
CONV_DATA = [{"x1": 1, "x2": 0, "x3": -1, "x4": 2, "x5": 1, "t": 1},
             {"x1": 0, "x2": 1, "x3": 1, "x4": -1, "x5": 0, "t": -1}]


def conv_net():
    return describe(CONV).network


def conv_point(rng, taps=None, out=None):
    """A point where filters 1 and 2 agree (filter 3 is free): taps w1..w6
    (tap-major, then filter), output weights w7..w18 (filter-major)."""
    q = lambda: sp.Rational(rng.randint(-6, 6), 4)  # noqa: E731
    point = {}
    for tap in range(2):
        a = taps[tap] if taps else q()
        point.update({f"w{3 * tap + 1}": a, f"w{3 * tap + 2}": a, f"w{3 * tap + 3}": q()})
    for pos in range(4):
        c = out[pos] if out else q()
        point.update({f"w{7 + pos}": c, f"w{11 + pos}": c, f"w{15 + pos}": q()})
    return point


# -- the swap ----------------------------------------------------------------
def test_swapping_two_filters_exchanges_their_taps_and_output_weights():
    net = conv_net()
    swap = unit_swap(net, "h1_1", "h2_3")
    assert str(swap) == "w1 <-> w2, w4 <-> w5, w7 <-> w11, w8 <-> w12, w9 <-> w13, w10 <-> w14"
    assert unit_swap(net, (1, 0), (1, 1)).params == swap.params
    assert tuple(net.nodes[j].symbol for j in swap.units[1]) == sp.symbols("h2_1:5")
    for p, q in enumerate(swap.params):  # every edge lands on an edge carrying the image weight
        for e in net.param_edges[p]:
            s, t = swap.nodes[net.edge_source[e]], swap.nodes[net.edge_target[e]]
            assert any(net.edge_source[f] == s and net.edge_target[f] == t for f in net.param_edges[q])


def test_a_shared_weight_that_would_map_to_two_weights_is_named():
    b = NetworkBuilder("crossed")
    x1, x2 = b.input("x1"), b.input("x2")
    y1, y2 = b.neuron("y1", 1), b.neuron("y2", 1)
    shared, w2, w3 = b.weight(), b.weight(), b.weight()
    b.connect(x1, y1, shared)
    b.connect(x2, y2, shared)
    b.connect(x1, y2, w2)
    b.connect(x2, y1, w3)
    y = b.neuron("y", 2)
    b.connect(y1, y, b.weight())
    b.connect(y2, y, b.weight())
    with pytest.raises(sg.SymgradError, match="shared weight w1 would map to both w2 and w3"):
        unit_swap(b.build(objective=y), "y1", "y2")


def test_swaps_that_are_no_symmetry_are_refused():
    with pytest.raises(sg.SymgradError, match="L .squared_error. reads y1"):
        unit_swap(sg.Network.mlp([2, 2], objective="squared_error"), "y1", "y2")
    with pytest.raises(sg.SymgradError, match="has no counterpart"):
        unit_swap(sg.Network.mlp([2, 1, 2, 1]), "y1", "y2")
    with pytest.raises(sg.SymgradError, match="not neurons of one activation"):
        unit_swap(sg.Network.mlp([2, 1]), "x1", "y")
    with pytest.raises(sg.SymgradError, match="one size"):
        unit_swap(conv_net(), "h1_1", ["h2_1"])


# -- a hand-derived block --------------------------------------------------------
def hand_block(a, c, x, t, lr):
    """``y = c tanh(w1 x) + c tanh(w2 x)`` at ``w1 = w2 = a``, ``w3 = w4 = c``,
    ``L = (y - t)**2 / 2``: with ``s = tanh(a x)``, ``r = 2 c s - t``, the
    Hessian on (w1 - w2, w3 - w4) is ``[[-2 r c x**2 s s', r s' x], [r s' x, 0]]``."""
    s = mp.tanh(a * x)
    ds = 1 - s**2
    r = 2 * c * s - t
    h = [[-2 * r * c * x**2 * s * ds, r * ds * x], [r * ds * x, 0]]
    return [[(i == j) - lr * h[i][j] for j in range(2)] for i in range(2)]


@pytest.mark.parametrize("a, c, x, t, lr", [(1, 1, 1, 0, "1/10"), ("1/2", "-3/2", 2, 1, 1), ("-2/3", "1/4", "-1", "5/2", 3)])
def test_tanh_block_matches_the_hand_derivation(a, c, x, t, lr):
    net = sg.Network.mlp([1, 2, 1], activation="tanh", objective="squared_error")
    lin = linearise(net, {"w1": a, "w2": a, "w3": c, "w4": c}, unit_swap(net, "y1", "y2"), lr, data=[{"x1": x, "t": t}])
    m = lambda v: mp.mpf(sp.Rational(v).p) / sp.Rational(v).q  # noqa: E731
    expected = hand_block(m(a), m(c), m(x), m(t), m(lr))
    for i in range(2):
        for j in range(2):
            assert abs(mp.mpf(str(lin.matrix[i, j])) - expected[i][j]) < mp.mpf(10) ** -25
    eig = sorted(mp.eigsy(mp.matrix(expected), eigvals_only=True))
    assert all(abs(mp.mpf(str(e)) - f) < mp.mpf(10) ** -25 for e, f in zip(lin.eigenvalues, eig))
    assert lin.verdict == ("grows" if max(abs(e) for e in eig) > 1 else "shrinks")
    assert not lin.exact and lin.directions == [sp.symbols("w1 w2"), sp.symbols("w3 w4")]


def test_linear_block_is_exact_and_decided_exactly():
    # identity units: the same block with s = a x, s' = 1, s'' = 0: [[1, -lr r x], [-lr r x, 1]]
    net = sg.Network.mlp([1, 2, 1], objective="squared_error")
    swap = unit_swap(net, "y1", "y2")
    a, c, x, lr = sp.Rational(1, 2), 3, 2, sp.Rational(1, 4)
    for t, verdict in [(5, "grows"), (2 * a * c * x, "neutral")]:
        lin = linearise(net, {"w1": a, "w2": a, "w3": c, "w4": c}, swap, lr, data=[{"x1": x, "t": t}])
        r = 2 * a * c * x - t  # the residual y - t
        assert lin.exact and lin.matrix == sp.Matrix([[1, -lr * r * x], [-lr * r * x, 1]])
        assert lin.verdict == verdict


# -- the conv net against finite differences of the gradient map -----------------
def gradient_map(net, params, samples, lr):
    """``T(w) = w - lr * sum_s dL_s/dw`` by central differences at 80 digits."""
    grads = [mp.fsum(finite_difference(net, params, _inputs(net, s), _targets(net, s), p) for s in samples)
             for p in range(net.parameter_count)]
    return [w - lr * g for w, g in zip(params, grads)]


def _inputs(net, s):
    return {x: mp.mpf(s[str(x)]) for x in net.inputs}


def _targets(net, s):
    return {t: mp.mpf(s[str(t)]) for t in net.targets}


def test_conv_block_matches_finite_differences_of_the_gradient_map():
    net = conv_net()
    swap = unit_swap(net, "h1_1", "h2_1")
    point = conv_point(random.Random(3))
    lr = sp.Rational(1, 3)
    lin = linearise(net, point, swap, lr, data=CONV_DATA)
    w = [mp.mpf(sp.Rational(point[str(p)]).p) / sp.Rational(point[str(p)]).q for p in net.parameters]
    h = mp.mpf(10) ** -15
    for k, (p, q) in enumerate(swap.pairs):
        up, down = list(w), list(w)
        up[p], up[q], down[p], down[q] = w[p] + h, w[q] - h, w[p] - h, w[q] + h
        column = [(u - d) / (2 * h) for u, d in zip(gradient_map(net, up, CONV_DATA, mp.mpf(1) / 3),
                                                       gradient_map(net, down, CONV_DATA, mp.mpf(1) / 3))]
        for r in range(net.parameter_count):  # J b_k stays antisymmetric: zero on unswapped weights
            assert abs(column[r] + column[swap.params[r]]) < mp.mpf(10) ** -20
        for l, (pl, _) in enumerate(swap.pairs):
            assert abs(column[pl] - mp.mpf(str(lin.matrix[l, k]))) < mp.mpf(10) ** -20, (l, k)


def test_conv_filters_never_shrink_their_difference():
    # At a tied point the two filters' outputs are equal, so L depends on the
    # output weights only through their sums: every difference of output
    # weights alone is flat.  That 4-dimensional block of A is the identity
    # and couples to the 2 tap differences only, so 1 is an eigenvalue at
    # least twice and no learning rate makes every difference shrink.
    net, rng = conv_net(), random.Random(0)
    swap = unit_swap(net, "h1_1", "h2_1")
    for _ in range(3):
        lin = linearise(net, conv_point(rng), swap, rng.choice(["1/10", "1", "3"]), data=CONV_DATA)
        assert lin.verdict == "grows" and lin.spectral_radius > 1
        assert sum(bool(abs(e - 1) < 1e-25) for e in lin.eigenvalues) >= 2
        assert max(lin.eigenvalues) > 1 + sp.Float("1e-6")


def test_conv_filters_with_zero_output_weights_at_zero_targets_are_neutral():
    net = conv_net()
    point = {**conv_point(random.Random(1), out=[0] * 4), **{f"w{k}": 0 for k in range(15, 19)}}
    data = [{**s, "t": 0} for s in CONV_DATA]
    lin = linearise(net, point, unit_swap(net, "h1_1", "h2_1"), 2, data=data)
    assert lin.exact and lin.matrix == sp.eye(6) and lin.verdict == "neutral"


def test_a_difference_between_two_tanh_outputs_shrinks_or_grows_with_the_point_and_rate():
    # L = tanh(w1 x) + tanh(w2 x): the difference follows A = 1 - lr x**2 tanh''(w x),
    # with tanh''(z) = -2 tanh(z) (1 - tanh(z)**2).
    net = sg.Network.mlp([1, 2], output_activation="tanh")
    swap = unit_swap(net, "y1", "y2")
    for w, lr, verdict in [(-1, 1, "shrinks"), (-1, 4, "grows"), (1, "1/10", "grows")]:
        lin = linearise(net, {"w1": w, "w2": w}, swap, lr, data=[{"x1": 1}])
        s = mp.tanh(w)
        assert abs(mp.mpf(str(lin.eigenvalues[0])) - (1 + 2 * mp.mpf(sp.Rational(lr)) * s * (1 - s**2))) < 1e-25
        assert lin.verdict == verdict


def test_points_off_the_tied_subspace_and_symbolic_data_are_refused():
    net = conv_net()
    swap = unit_swap(net, "h1_1", "h2_1")
    point = conv_point(random.Random(2))
    with pytest.raises(sg.SymgradError, match="not tied: w1 = 1/4 but w2 = 1/2"):
        linearise(net, {**point, "w1": sp.Rational(1, 4), "w2": sp.Rational(1, 2)}, swap, 1, data=CONV_DATA)
    with pytest.raises(sg.SymgradError, match="depends on"):
        linearise(net, point, swap, 1)
    with pytest.raises(sg.SymgradError, match="no value to w18"):
        linearise(net, {k: v for k, v in point.items() if k != "w18"}, swap, 1, data=CONV_DATA)
