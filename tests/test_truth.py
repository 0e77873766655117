"""Every sentence true: the cases held-out testing found false, each checked
against an independent computation (SymPy written out by hand, exact
rational gradient descent) rather than against symgrad's own output."""
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest
import sympy as sp

import symgrad as sg

ROOT = Path(__file__).parent.parent
x1, x2, t1 = sp.symbols("x1 x2 t1")


def symgrad(*args):
    return subprocess.run([sys.executable, "-m", "symgrad", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def describe(text: str, tmp_path: Path) -> Path:
    path = tmp_path / "net.toml"
    path.write_text(text)
    return path


# 2. a dead ReLU: relu(-sigmoid(...)) is 0 for every input, so every gradient is identically 0
DEAD = """inputs = 1
[[layers]]
units = 1
activation = "sigmoid"
[[layers]]
units = 1
activation = "relu"
[[layers]]
units = 1
[init]
kind = "constant"
value = -1
"""


def test_a_dead_relu_is_a_stationary_point(tmp_path):
    loaded = sg.load(describe(DEAD, tmp_path))
    w1, w2, w3 = loaded.network.parameters
    # by hand: y = w3 * max(0, w2 * sigmoid(w1 * x1)); at w = -1 the ReLU's input -sigmoid(-x1) < 0 for every real x1
    x = sp.Symbol("x1", real=True)
    z = -1 / (1 + sp.exp(x))
    assert z.is_negative
    proof = sg.prove(loaded.network, loaded.init)
    assert proof.stationary is True and set(proof.frozen) == {w1, w2, w3}
    out = symgrad("prove", tmp_path / "net.toml", "--json")
    assert json.loads(out.stdout)["stationary"] is True
    assert "Stationary point: proven" in symgrad("prove", tmp_path / "net.toml").stdout


def test_an_undecided_gradient_is_never_counted_as_nonzero():
    """Stationary is False only with a point where a gradient is provably nonzero."""
    proof = sg.prove(sg.examples.toy(), sg.Constant("a"))
    assert proof.stationary is False
    w, point, value = proof.stationary_witness
    by_hand = sp.sympify("2*a**2*x1") if w.name in ("w1", "w2") else None
    assert by_hand is not None and by_hand.xreplace(point) == value != 0


def gd_run(grads, params, values, lr, steps):
    """Exact gradient descent on explicit gradient expressions (``grads``: one per parameter)."""
    trajectory = [dict(zip(params, values))]
    for _ in range(steps):
        now = trajectory[-1]
        trajectory.append({p: now[p] - lr * g.xreplace(now) for p, g in zip(params, grads)})
    return trajectory


# 3. frozen parameters: zero init of y = w3 tanh(w1 x1 + w2 x2 + b1) + b2 under squared error
def test_zero_init_behind_tanh_freezes_all_but_the_output_bias():
    w1, w2, w3, b1, b2, t = sp.symbols("w1 w2 w3 b1 b2 t")
    y = w3 * sp.tanh(w1 * x1 + w2 * x2 + b1) + b2
    loss = (y - t) ** 2 / 2
    net = sg.Network.mlp([2, 1, 1], activation="tanh", bias=True, objective="squared_error")
    assert [str(p) for p in net.parameters] == ["w1", "w2", "w3", "b1", "b2"]
    proof = sg.prove(net, sg.Zero())
    assert [str(p) for p in proof.frozen] == ["w1", "w2", "w3", "b1"]
    # independently: 4 steps of exact gradient descent by hand; only b2 moves
    params = (w1, w2, w3, b1, b2)
    point = {x1: sp.Rational(3, 2), x2: -2, t: 5}
    run = gd_run([sp.diff(loss, p).xreplace(point) for p in params], params, (0,) * 5, sp.Rational(1, 3), 4)
    assert all(step[w1] == step[w2] == step[w3] == step[b1] == 0 for step in run) and run[-1][b2] != 0
    text = str(proof)
    assert "free to move" not in text and "Never moves: w1, w2, w3, b1" in text


def test_zero_init_mlp_never_says_free_to_move():
    out = symgrad("prove", "--mlp", "2,1,1", "--init", "zero")
    assert out.returncode == 0 and "free to move" not in out.stdout
    assert "Never moves: w1, w2, w3" in out.stdout
    assert json.loads(symgrad("prove", "--mlp", "2,1,1", "--init", "zero", "--json").stdout)["frozen"] == ["w1", "w2", "w3"]


def test_separations_are_certified_by_an_exact_run_the_test_recomputes():
    net = sg.examples.toy()
    proof = sg.prove(net, sg.Constant("a"))
    grads = [sg.derive(net).gradient(w) for w in net.weights]
    assert len(proof.separations) == 6 and proof.not_separated == ()
    for sep in proof.separations:
        start = [sp.Symbol("a").xreplace(sep.point)] * 10
        run = gd_run([g.xreplace(sep.point) for g in grads], net.weights, start, sep.lr, sep.step)
        assert all(s[sep.first] == s[sep.second] for s in run[:-1]) and run[-1][sep.first] != run[-1][sep.second]


# 4. scope: data that restrict the inputs are named
def test_data_that_restrict_the_inputs_are_named_in_the_claim():
    net = sg.examples.toy().with_data([{x2: x1}])
    proof = sg.prove(net, sg.Constant("a"))
    text = str(proof)
    assert "every input with x2 = x1" in text and "every input." not in text
    assert "and every input." in str(sg.prove(sg.examples.toy(), sg.Constant("a")))


# 5. witnesses satisfy the declared assumptions
def test_witness_points_respect_integer_assumptions(tmp_path):
    spec = describe('inputs = { count = 2, assume = "integer" }\n[[layers]]\nunits = 2\nactivation = "tanh"\n'
                    '[[layers]]\nunits = 1\n[init]\nkind = "distinct"\n', tmp_path)
    loaded = sg.load(spec)
    proof = sg.prove(loaded.network, loaded.init)
    points = [s.point for s in proof.at_init_splits if s.point] + [s.point for s in proof.separations]
    points.append(proof.stationary_witness[1])
    inputs = set(loaded.network.inputs)
    assert points and all(v.is_integer for pt in points for s, v in pt.items() if s in inputs)


# 6. the learning-rate theorem checks its hypothesis
def test_the_learning_rate_theorem_does_not_apply_behind_a_hidden_layer():
    from symgrad.dynamics.perceptron import learning_rate_theorem

    linear = sg.Network.mlp([2, 1], objective="perceptron")
    hidden = sg.Network.mlp([2, 2, 1], activation="sigmoid", objective="perceptron")
    assert learning_rate_theorem(linear, steps=2).holds is True
    behind = learning_rate_theorem(hidden, steps=1)
    assert behind.applies is False and behind.holds is False


# 7. options and values that used to give tracebacks or be ignored
@pytest.mark.parametrize("args, message", [
    (["prove", "toy", "--init", "constant:x1"], "belongs to the network"),
    (["prove", "toy", "--init", "constant:w1"], "belongs to the network"),
    (["prove", "toy", "--init", "layers:a,b,y"], "belongs to the network"),
    (["prove", "toy", "--bias-init", "constant:x1"], "belongs to the network"),
    (["prove", "--mlp", "2,2,1", "--activation", "relu:1/0"], "division by zero"),
    (["prove", "--mlp", "2,1", "--activation", "relu:1e99999999"], "not a finite number"),
    (["prove", "toy", "--activation", "tanh"], "applies to --mlp only"),
    (["prove", "toy", "--timeout", "inf"], "--timeout"),
    (["prove", "toy", "--timeout", "1e20"], "--timeout"),
    (["prove", "toy", "--init", "constant:eta"], "symgrad uses it itself"),
    (["prove", "toy", "--init", "constant:delta1"], "symgrad uses it itself"),
])
def test_bad_options_are_one_line_and_exit_2(args, message):
    out = symgrad(*args)
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1 and message in out.stderr, out.stderr
    assert out.stderr.startswith("symgrad: error: ")


# 8. decide more: piecewise identities and signs
def test_piecewise_identities_are_decided():
    from symgrad.proofs.equality import decide, is_zero

    z, x = sp.symbols("z x")
    assert decide(z * sp.Heaviside(z, 0), sp.Max(0, z)) is True
    assert is_zero(sp.Heaviside(-1 / (1 + sp.exp(-x)), 0) * x) is True
    assert is_zero(sp.Heaviside(x, 0) * x) is None      # not zero (x > 0): never claimed


def test_unnormalised_targets_reach_the_command_line(tmp_path):
    spec = describe('inputs = 2\n[[layers]]\nunits = 3\nnames = "a"\n[[layers]]\ntype = "softmax"\nnames = "y"\n'
                    '[objective]\nkind = "cross_entropy"\ntargets = "t"\n[[data]]\nt1 = 1\nt2 = 1\nt3 = 0\n', tmp_path)
    gradient = sp.sympify(json.loads(symgrad("derive", spec, "--json").stdout)["gradients"]["w1"])
    w = sp.symbols("w1:7")
    logits = [w[0] * x1 + w[3] * x2, w[1] * x1 + w[4] * x2, w[2] * x1 + w[5] * x2]
    total = sum(sp.exp(a) for a in logits)
    loss = -(sp.log(sp.exp(logits[0]) / total) + sp.log(sp.exp(logits[1]) / total))
    assert sp.simplify(gradient - sp.diff(loss, w[0])) == 0


def test_data_naming_an_input_keep_its_assumptions_in_every_certificate(tmp_path):
    """x2 = 2*x1 in the data: the x1 there is the integer input x1, not a new symbol of the same name."""
    spec = describe('inputs = { count = 2, assume = "integer" }\n[[layers]]\nunits = 1\n[init]\nkind = "distinct"\n'
                    '[[data]]\nx2 = "2*x1"\n', tmp_path)
    loaded = sg.load(spec)
    x1 = loaded.network.inputs[0]
    assert loaded.network.samples[0][loaded.network.inputs[1]] == 2 * x1     # the very input symbol
    proof = sg.prove(loaded.network, loaded.init)
    points = [s.point for s in proof.at_init_splits if s.point] + [s.point for s in proof.separations]
    points.append(proof.stationary_witness[1])
    for point in points:
        names = [str(s) for s in point]
        assert len(names) == len(set(names)), point                        # one value per name
        assert all(v.is_integer for s, v in point.items() if str(s) in ("x1", "x2")), point


def test_a_renamed_input_with_an_assumption_is_named_in_the_scope():
    net = sg.Network.mlp([1, 1], objective="squared_error")
    x1, t = net.inputs[0], net.targets[0]
    text = str(sg.prove(net.with_data([{x1: sp.Symbol("u", nonzero=True), t: sp.Rational(-2, 5)}])))
    assert "every input with x1 = u (nonzero), target t = -2/5" in text


def test_samples_that_share_an_input_are_not_every_input():
    """Two samples that leave x1 as it is hold the same x1: the proof is about
    such data only, and says so (it never says "every input of 2 samples")."""
    import sympy as sp

    import symgrad as sg
    from symgrad.present.phrases import scope

    net = sg.examples.toy()
    x1, u = sp.symbols("x1 u")
    assert scope(net.with_data([{}, {}])) == ("the 2 samples of the data (gradients summed; x1 the same in samples "
                                              "1 and 2; x2 the same in samples 1 and 2)")
    assert "x1 the same in samples 1 and 2 (= u)" in scope(net.with_data([{x1: u}, {x1: u}]))
    assert scope(net.with_data(sg.data.generic(net, 2))) == "every input of 2 samples (gradients summed)"
    text = str(sg.prove(net, sg.Constant("a"), data=[{}, {x1: 3}]))
    assert "every input of" not in text and "x2 the same in samples 1 and 2" in text
