"""Issue 5: every scenario of the source discussions, checked against
hand-derived mathematics."""
import json
import subprocess
import sys

import pytest
import sympy as sp

import symgrad as sg
from symgrad.model.activations import relu
from symgrad.model.constraints import PerLayer
from symgrad.specs.examples import REGISTRY
from symgrad.dynamics.quotients import effective_width

a = sp.Symbol("a")
A_NEGATIVE, A_POSITIVE = sp.Symbol("a", negative=True), sp.Symbol("a", positive=True)
x1, x2, t1, t2, t3 = sp.symbols("x1 x2 t1 t2 t3")


def classes(proof):
    return [[str(p) for p in c] for c in proof.invariant]


def at_init(proof):
    return [[str(p) for p in c] for c in proof.at_init]


def test_examples_are_listed_with_descriptions():
    out = subprocess.run([sys.executable, "-m", "symgrad", "examples", "--json"], capture_output=True, text=True)
    listed = json.loads(out.stdout)
    for name in ["toy", "softmax_ce", "softmax_ce_hidden", "relu", "sigma_mlp", "conv_filters", "perceptron"]:
        assert listed[name] and len(listed[name].splitlines()) == 1


@pytest.mark.parametrize("name", list(REGISTRY))
def test_prove_and_report_work_for_every_example(name, tmp_path):
    prove = subprocess.run([sys.executable, "-m", "symgrad", "prove", name, "--json"], capture_output=True, text=True)
    assert prove.returncode == 0, prove.stderr
    assert json.loads(prove.stdout)["network"] == name
    report = subprocess.run([sys.executable, "-m", "symgrad", "report", name, "-o", str(tmp_path / f"{name}.tex")],
                            capture_output=True, text=True)
    assert report.returncode == 0, report.stderr
    assert (tmp_path / f"{name}.tex").read_text().startswith("%") is False


# -- scenario 2: softmax and cross-entropy ------------------------------------------
def softmax(logits):
    total = sum(sp.exp(z) for z in logits)
    return [sp.exp(z) / total for z in logits]


def test_softmax_ce_gradient_is_x_i_times_sum_t_y_j_minus_t_j():
    """L = -sum_k t_k log y_k, differentiated by SymPy from the formula written out: for any
    targets dL/dW_ij = x_i ((t1 + t2 + t3) y_j - t_j), which is x_i (y_j - t_j) only when sum t = 1."""
    net = sg.examples.softmax_ce().with_data(None)   # the network's own symbols
    W = sp.Matrix(2, 3, net.weights)                  # row-major: W[i, j] = weight from x_i to class j
    y = softmax([W[0, j] * x1 + W[1, j] * x2 for j in range(3)])
    t = [t1, t2, t3]
    loss = -sum(tk * sp.log(yk) for tk, yk in zip(t, y))
    d = sg.derive(net)
    for i, x in enumerate([x1, x2]):
        for j in range(3):
            assert sp.simplify(d.gradient(W[i, j]) - sp.diff(loss, W[i, j])) == 0
            assert sp.simplify(d.gradient(W[i, j]) - x * ((t1 + t2 + t3) * y[j] - t[j])) == 0


@pytest.mark.parametrize("targets", [(1, 1, 0), (2, 0, 0), (0, 0, 0), (sp.Rational(1, 2), sp.Rational(1, 3), 5)])
def test_cross_entropy_gradients_are_exact_for_unnormalised_targets(targets):
    net = sg.examples.softmax_ce().with_data([dict(zip((t1, t2, t3), targets))])
    W = sp.Matrix(2, 3, net.weights)
    y = softmax([W[0, j] * x1 + W[1, j] * x2 for j in range(3)])
    loss = -sum(tk * sp.log(yk) for tk, yk in zip(targets, y))
    d = sg.derive(net)
    for w in net.weights:
        assert sp.simplify(d.gradient(w) - sp.diff(loss, w)) == 0


def test_zero_cross_entropy_targets_are_stationary_and_tie_nothing_apart():
    """t = 0: L is identically 0, every gradient is 0 (not "not stationary")."""
    net = sg.examples.softmax_ce().with_data([{t1: 0, t2: 0, t3: 0}])
    proof = sg.prove(net, sg.Constant("a"))
    assert proof.stationary is True and len(proof.at_init) == 1
    assert set(proof.frozen) == set(net.weights)


def test_softmax_ce_at_constant_init_with_target_class_1():
    proof = sg.prove(sg.examples.softmax_ce(), sg.Constant("a"))
    expected = [-2 * x1 / 3, x1 / 3, x1 / 3, -2 * x2 / 3, x2 / 3, x2 / 3]   # x_i (1/3 - t_j), t = (1, 0, 0)
    assert all(sp.simplify(g - e) == 0 for g, e in zip(proof.at_init_gradients, expected))
    assert at_init(proof) == [["w1"], ["w2", "w3"], ["w4"], ["w5", "w6"]]   # rows differ, non-target columns tie
    assert classes(proof) == [["w1"], ["w2", "w3"], ["w4"], ["w5", "w6"]]


def test_softmax_ce_rows_agree_only_when_the_inputs_do():
    net = sg.examples.softmax_ce()
    proof = sg.prove(net, sg.Constant("a"), data=[{x2: x1, t1: 1, t2: 0, t3: 0}])
    assert at_init(proof) == [["w1", "w4"], ["w2", "w3", "w5", "w6"]]


def test_softmax_ce_no_tie_survives_every_class():
    net = sg.examples.softmax_ce()
    proof = sg.prove(net, sg.Constant("a"), data=sg.data.one_hot(net, [1, 2, 3]))
    assert classes(proof) == [[f"w{i}"] for i in range(1, 7)]


def test_with_a_hidden_layer_the_hidden_units_stay_tied_for_every_class():
    net = sg.examples.softmax_ce_hidden()
    proof = sg.prove(net, sg.Constant("a"), data=sg.data.one_hot(net, [1, 2, 3]))
    # hidden weights tie per input (x_i -> h1 with x_i -> h2); output weights per class (h1 -> a_j with h2 -> a_j)
    assert classes(proof) == [["w1", "w2"], ["w3", "w4"], ["w5", "w8"], ["w6", "w9"], ["w7", "w10"]]
    assert [(w.units, w.distinct) for w in effective_width(proof)][0] == (2, 1)


# -- scenario 3: ReLU and its slope at zero -------------------------------------------
@pytest.mark.parametrize("at_zero", [0, sp.Rational(1, 2), 1])
def test_relu_zero_init_is_stationary_under_every_convention(at_zero):
    net = sg.examples.relu().with_activation("relu", relu(at_zero))
    assert sg.prove(net, sg.Zero()).stationary is True


@pytest.mark.parametrize("at_zero", [0, sp.Rational(1, 2), 1])
def test_relu_first_layer_zero_moves_only_if_the_slope_at_zero_is_not_zero(at_zero):
    net = sg.examples.relu().with_activation("relu", relu(at_zero))
    proof = sg.prove(net, PerLayer(["0", "a", "a"]))
    # by hand: every pre-activation is 0, so dy/dw1 = h0**3 (w9 w5 + w10 w6) x1 = 2 h0**3 a**2 x1
    assert sp.simplify(proof.at_init_gradients[0] - 2 * at_zero**3 * a**2 * x1.func("x1", positive=True)) == 0
    assert proof.stationary is (at_zero == 0)


def test_relu_negative_weights_are_dead_and_positive_ones_tie_like_the_toy():
    net = sg.examples.relu()
    assert sg.prove(net, sg.Constant(A_NEGATIVE)).stationary is True
    positive = sg.prove(net, sg.Constant(A_POSITIVE))
    assert positive.stationary is False
    assert classes(positive) == [["w1", "w2"], ["w3", "w4"], ["w5", "w6", "w7", "w8"], ["w9", "w10"]]


# -- scenario 4: any activation, biases ----------------------------------------------
def test_sigma_mlp_output_delta_is_the_seeds_formula():
    net = sg.examples.sigma_mlp()
    d = sg.derive(net)
    out = net.nodes[net.nodes[net.objective].args[0]]
    sigma_slope = sp.diff(sp.Function("sigma")(sp.Symbol("z")), sp.Symbol("z"))
    expected = sp.Subs(sigma_slope, sp.Symbol("z"), net.pre_symbol(net.node_index[out.symbol])).doit() \
        * sp.Symbol("delta_L") * (out.symbol - sp.Symbol("t"))
    delta = d.deltas[net.delta_symbol(net.node_index[out.symbol])]
    assert sp.simplify(delta.doit() - expected) == 0


def test_sigma_mlp_units_within_a_layer_tie_and_biases_do_not_matter():
    net = sg.examples.sigma_mlp()
    tied = sg.prove(net, sg.Constant("a"))
    assert classes(tied) == [["w1", "w2"], ["w3", "w4"], ["w5", "w6", "w7", "w8"], ["w9", "w10"],
                             ["b1", "b2"], ["b3", "b4"], ["b5"]]
    grads = tied.step.gradients
    assert sp.simplify(grads[0] - grads[4]) != 0   # different layers, different updates
    assert all(len(c) == 1 for c in sg.prove(net, sg.Distinct()).invariant)
    assert all(len(c) == 1 for c in sg.prove(net, sg.Constant("a", biases=sg.Distinct())).invariant)


# -- scenario 5: convolution filters ------------------------------------------------
def test_identical_filters_stay_identical_and_the_layer_acts_as_one_filter():
    net = sg.examples.conv_filters()
    proof = sg.prove(net, sg.Constant("a"))
    taps = [["w1", "w2", "w3"], ["w4", "w5", "w6"]]
    readout = [[f"w{7 + p}", f"w{11 + p}", f"w{15 + p}"] for p in range(4)]
    assert classes(proof) == taps + readout
    assert [(w.units, w.distinct) for w in effective_width(proof)] == [(3, 1), (1, 1)]


def test_two_identical_filters_among_three():
    net = sg.examples.conv_filters()
    proof = sg.prove(net, REGISTRY["conv_filters"].scenarios[1].init)
    assert ["w1", "w2"] in classes(proof) and ["w3"] in classes(proof)
    assert [(w.units, w.distinct) for w in effective_width(proof)][0] == (3, 2)


# -- scenario 6: the perceptron -----------------------------------------------------
def test_perceptron_learning_rate_only_scales_from_zero_init():
    theorem = sg.learning_rate_theorem(sg.examples.perceptron(), steps=3)
    assert theorem.holds
    eta = theorem.lr
    assert all(eta not in sp.sympify(v).free_symbols for v in theorem.unrolled[3])
