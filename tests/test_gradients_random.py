"""Random small networks: symgrad's exact gradients against independent
computations (finite differences at 80 digits, and sympy.diff of the nested
objective) at random points."""
from fractions import Fraction

import sympy as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import symgrad as sg
from reference import finite_difference, mp, objective

ACTIVATIONS = ["identity", "relu", "sigmoid", "tanh"]
OBJECTIVES = ["output", "squared_error", "cross_entropy"]
value = st.fractions(min_value=-2, max_value=2, max_denominator=7)


@st.composite
def networks(draw):
    kind = draw(st.sampled_from(OBJECTIVES))
    inputs = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, 3), max_size=2))
    outputs = draw(st.integers(2, 3)) if kind == "cross_entropy" else draw(st.integers(1, 2))
    net = sg.Network.mlp([inputs, *hidden, outputs], activation=draw(st.sampled_from(ACTIVATIONS)),
                         bias=draw(st.booleans()), objective=kind,
                         output_activation=draw(st.sampled_from([None, "tanh", "sigmoid"])) if kind != "cross_entropy" else None)
    return net


@st.composite
def points(draw, net):
    params = [draw(value) for _ in net.parameters]
    inputs = {x: draw(value) for x in net.inputs}
    if net.targets and net.nodes[net.objective].op.name == "cross_entropy":
        hot = draw(st.integers(0, len(net.targets) - 1))
        targets = {t: Fraction(int(k == hot)) for k, t in enumerate(net.targets)}
    else:
        targets = {t: draw(value) for t in net.targets}
    return params, inputs, targets


@settings(max_examples=60)
@given(data=st.data())
def test_gradients_match_finite_differences(data):
    net = data.draw(networks())
    params, inputs, targets = data.draw(points(net))
    pres = []
    objective(net, [mp.mpf(p.numerator) / p.denominator for p in params], _mp(inputs), _mp(targets), pres)
    assume(all(abs(z) > 1e-6 for z in pres))  # stay off ReLU's kink
    point = {s: sp.Rational(v.numerator, v.denominator) for s, v in [*zip(net.parameters, params), *inputs.items(), *targets.items()]}
    d = sg.derive(net)
    mp_params = [mp.mpf(p.numerator) / p.denominator for p in params]
    for p, w in enumerate(net.parameters):
        exact = sp.N(d.gradient(w).xreplace(point), 60)
        numeric = finite_difference(net, mp_params, _mp(inputs), _mp(targets), p)
        assert abs(mp.mpf(str(exact)) - numeric) <= mp.mpf(10) ** -40 * (1 + abs(numeric)), (w, exact, numeric)


def _mp(values):
    return {k: mp.mpf(v.numerator) / v.denominator for k, v in values.items()}


@settings(max_examples=25)
@given(sizes=st.lists(st.integers(1, 3), min_size=2, max_size=4), act=st.sampled_from(["identity", "tanh", "sigmoid"]),
       bias=st.booleans())
def test_gradients_equal_sympy_diff_of_the_nested_objective(sizes, act, bias):
    net = sg.Network.mlp(sizes, activation=act, bias=bias, objective="squared_error")
    nested = _nested_objective(net, act)
    d = sg.derive(net)
    rng = __import__("random").Random(sum(sizes))
    point = {s: sp.Rational(rng.randint(-9, 9), rng.randint(1, 5)) for s in nested.free_symbols}
    for w in net.parameters:
        naive = sp.diff(nested, w).xreplace(point)
        mine = d.gradient(w).xreplace(point)
        assert abs(sp.N(naive - mine, 50)) < 1e-40


def _nested_objective(net, act):
    """The objective written out by hand, layer by layer (no symgrad maths)."""
    f = {"identity": lambda z: z, "tanh": sp.tanh, "sigmoid": lambda z: 1 / (1 + sp.exp(-z))}[act]
    value = {}
    for j, node in enumerate(net.nodes):
        if node.kind == "input":
            value[j] = node.symbol
        elif node.kind == "bias":
            value[j] = sp.S.One
    for j, node in enumerate(net.nodes):
        if node.kind == "neuron":
            z = sum(net.parameters[net.edge_param[e]] * value[net.edge_source[e]] for e in net.in_edges[j])
            is_output = any(j in n.args for n in net.nodes if n.kind == "function")
            value[j] = z if is_output else f(z)
    loss = net.nodes[net.objective]
    return sum((value[a] - t) ** 2 for a, t in zip(loss.args, loss.targets)) / 2
