"""Issue 6: gradient assertions and the pytest plugin, checked against the
seed's hand-written gradients and in a real pytest run."""
import importlib.metadata
import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

import symgrad as sg
from test_symmetry import TOY_TIES, seed_gradients  # the seed's gradients, by hand
from symgrad.testing import assert_gradients_differ, assert_gradients_equal, assert_stationary, assert_tied_forever

ROOT = Path(__file__).resolve().parents[1]
a = sp.Symbol("a")
x1, x2 = sp.symbols("x1 x2")


def test_equal_and_differ_follow_the_seed_for_every_pair():
    net = sg.examples.toy()
    by_hand = seed_gradients([a] * 10)
    for p, q in itertools.combinations(range(10), 2):
        wp, wq = f"w{p + 1}", f"w{q + 1}"
        if sp.expand(by_hand[p] - by_hand[q]) == 0:
            assert_gradients_equal(net, wp, wq)
            with pytest.raises(AssertionError, match="are equal"):
                assert_gradients_differ(net, wp, wq)
        else:
            assert_gradients_differ(net, wp, wq)
            with pytest.raises(AssertionError, match="differ"):
                assert_gradients_equal(net, wp, wq)


def _claimed_point(message):
    """The point and the two values a failure message claims."""
    m = re.search(r"they differ at (.*): (\S+) = (\S+), (\S+) = (\S+)$", message, re.M)
    assert m, message
    point = {sp.Symbol(k): sp.Rational(v) for k, v in (kv.split(" = ") for kv in m.group(1).split(", "))}
    return point, sp.Rational(m.group(3)), sp.Rational(m.group(5))


def test_a_failure_shows_both_gradients_their_difference_and_a_true_witness():
    with pytest.raises(AssertionError) as failure:
        assert_gradients_equal(sg.examples.toy(), "w1", "w9", init=sg.Constant("a"))
    message = str(failure.value)
    by_hand = seed_gradients([a] * 10)
    assert f"dy/dw1 = {by_hand[0]}" in message and "dy/dw9 = " in message
    difference = sp.sympify(re.search(r"difference: dy/dw1 - dy/dw9 = (.*)", message).group(1))
    assert sp.expand(difference - (by_hand[0] - by_hand[8])) == 0
    point, v1, v9 = _claimed_point(message)
    assert v1 == by_hand[0].xreplace(point) != by_hand[8].xreplace(point) == v9


def test_data_make_the_rows_of_the_softmax_gradient_tie():
    """dL/dW_ij = x_i (y_j - t_j): rows 1 (w1..w3) and 2 (w4..w6) agree only if x1 = x2."""
    net = sg.examples.get("softmax_ce")
    equal_inputs = [{"x1": "x1", "x2": "x1", "t1": 1, "t2": 0, "t3": 0}]
    assert_gradients_equal(net, "w1", "w4", data=equal_inputs)
    assert_gradients_differ(net, "w1", "w4")
    assert_gradients_equal(net, "w2", "w3")


def test_tied_forever_passes_on_the_seed_ties_and_explains_a_broken_tie():
    net = sg.examples.toy()
    assert_tied_forever(net, TOY_TIES, init=sg.Constant("a"))
    assert_tied_forever(net, ["w1", "w3"], init=sg.Zero())  # a stationary point: nothing moves
    with pytest.raises(AssertionError, match="w1 = w3 is not tied forever") as failure:
        assert_tied_forever(net, ["w1", "w3"], init=sg.Constant("a"))
    assert "their gradients at the initial point:\n" in str(failure.value) and "they differ at" in str(failure.value)
    with pytest.raises(AssertionError, match="w1 = w3 is not tied: they start apart"):
        assert_tied_forever(net, [["w1", "w3"]], init=sg.Distinct())


def test_tied_forever_shows_where_the_tie_breaks():
    """y = w3 tanh(w1 x1) + w4 tanh(w2 x1) with w1 = w3 = 1/2: the gradients
    x1 (1 - tanh(x1/2)**2) / 2 and tanh(x1/2) differ at once.  (From
    w1 = w3 = 0 both stay 0 for ever: both gradients vanish whatever w2 and
    w4 do, so there the tie holds.)"""
    net = sg.Network.mlp([1, 2, 1], activation="tanh")
    assert_tied_forever(net, ["w1", "w3"], init=sg.Tied({("w1", "w3"): 0}))
    with pytest.raises(AssertionError, match="is not tied forever") as failure:
        assert_tied_forever(net, ["w1", "w3"], init=sg.Tied({("w1", "w3"): sp.Rational(1, 2)}))
    message = str(failure.value)
    m = re.search(r"they differ at x1 = (\S+): dy/dw1 = (\S+), dy/dw3 = (\S+)", message)
    x = sp.Rational(m.group(1))
    assert abs(float(m.group(2)) - float(x * (1 - sp.tanh(x / 2) ** 2) / 2)) < 1e-12
    assert abs(float(m.group(3)) - float(sp.tanh(x / 2))) < 1e-12


def test_stationary_points():
    assert_stationary(sg.examples.toy(), sg.Zero())
    assert_stationary(sg.examples.get("relu"), sg.Constant(sp.Symbol("a", negative=True)))  # every unit dead
    with pytest.raises(AssertionError, match="10 of 10 gradients") as failure:
        assert_stationary(sg.examples.toy(), sg.Constant("a"))
    m = re.search(r"not zero at a = (\S+), x1 = (\S+): dy/dw1 = (\S+)", str(failure.value))
    assert 2 * sp.Rational(m.group(1)) ** 2 * sp.Rational(m.group(2)) == sp.Rational(m.group(3)) != 0


def test_an_undefined_activation_is_refuted_with_a_concrete_one():
    net = sg.examples.get("sigma_mlp")
    assert_gradients_equal(net, "w1", "w2")
    assert_gradients_differ(net, "w1", "w3")
    with pytest.raises(AssertionError, match=r"sigma\(z\) = tanh"):
        assert_gradients_equal(net, "w1", "w3")


USER_TEST = '''
import symgrad as sg
from symgrad.testing import assert_gradients_equal


def test_weights_of_one_row_tie(toy_net):
    assert_gradients_equal(toy_net, "w1", "w3", init=sg.Constant("a"))


def test_fixtures(symgrad_example, symgrad_assert):
    net = symgrad_example("softmax_ce_hidden")
    symgrad_assert.assert_tied_forever(net, [["w1", "w2"], ["w3", "w4"]])
'''


def test_a_failing_assertion_reads_well_in_a_users_pytest_run(tmp_path):
    (tmp_path / "test_user.py").write_text(USER_TEST)
    plugin = [] if _plugin_installed() else ["-p", "symgrad.pytest_plugin"]
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugin, "test_user.py"],
                         cwd=tmp_path, capture_output=True, text=True, env=_env(), timeout=300)
    out = run.stdout
    assert run.returncode == 1, out + run.stderr
    assert "1 failed, 1 passed" in out
    report = [line[1:].strip() for line in out.splitlines() if line.startswith("E ")]
    assert report[:4] == ["AssertionError: the gradients of w1 and w3 differ (network 'toy', every weight equal to a)",
                          "dy/dw1 = 2*a**2*x1", "dy/dw3 = 2*a**2*x2", "difference: dy/dw1 - dy/dw3 = 2*a**2*(x1 - x2)"]
    point, v1, v3 = _claimed_point(report[4])
    assert v1 == 2 * point[a] ** 2 * point[x1] != 2 * point[a] ** 2 * point[x2] == v3
    assert "symgrad/testing.py" not in out  # __tracebackhide__: the report points at the user's test
    assert "test_user.py:7: AssertionError" in out


def _plugin_installed() -> bool:
    return any(ep.name == "symgrad" for ep in importlib.metadata.entry_points(group="pytest11"))


def _env():
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env
