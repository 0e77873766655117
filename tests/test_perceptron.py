"""Scenario 6 of issue 5 (seed 004): from zero init the perceptron's learning
rate only scales the weights; from a nonzero init it can change a
prediction.  Checked against perceptron updates written by hand."""
import random
from fractions import Fraction

import pytest
import sympy as sp

import symgrad as sg
from symgrad.maths.functions import phi
from symgrad.dynamics.perceptron import (ETA, drop_positive_factors, learning_rate_counterexample, learning_rate_theorem,
                                scores)

NET = sg.Network.mlp([2, 1], objective="perceptron")
x1, x2, t = sp.symbols("x1 x2 t")


def step(z):
    return 1 if z >= 0 else -1


def perceptron(w, samples, eta, steps):
    """The rule by hand: ``w <- w + eta (t - phi(w . x)) x``, one sample per
    step in turn; returns every ``w(k)``."""
    ws = [list(w)]
    for k in range(steps):
        x, target = samples[k % len(samples)]
        yhat = step(sum(wi * xi for wi, xi in zip(ws[-1], x)))
        ws.append([wi + eta * (target - yhat) * xi for wi, xi in zip(ws[-1], x)])
    return ws


def as_samples(data):
    return [((Fraction(int(s[x1])), Fraction(int(s[x2]))), int(s[t])) for s in data]


def random_data(rng, count):
    return [{x1: rng.randint(-3, 3), x2: rng.randint(-3, 3), t: rng.choice((-1, 1))} for _ in range(count)]


def test_gradient_descent_on_the_criterion_is_the_perceptron_rule():
    w1, w2 = NET.parameters
    one = sg.unroll(NET, sg.Distinct(), steps=1, lr=ETA, per_sample=True)
    z = w1 * x1 + w2 * x2
    for w, x in ((w1, x1), (w2, x2)):
        assert sp.expand(one.value(1, w) - (w + ETA * (t - phi(z)) * x)) == 0
    rng = random.Random(4)
    for _ in range(20):
        data, eta = random_data(rng, 3), Fraction(rng.randint(1, 9), rng.randint(1, 4))
        w0 = [Fraction(rng.randint(-3, 3)) for _ in range(2)]
        mine = sg.unroll(NET, sg.Tied(dict(zip(NET.parameters, w0))), steps=5, lr=sp.Rational(eta.numerator, eta.denominator),
                         data=data, per_sample=True)
        hand = perceptron(w0, as_samples(data), eta, 5)
        assert [[Fraction(int(v.p), int(v.q)) for v in values] for values in mine.values] == hand


def test_w3_over_eta_is_free_of_eta_from_zero_init_for_symbolic_data():
    theorem = learning_rate_theorem(NET, steps=3)
    assert theorem.holds and len(theorem.unrolled) == 4
    assert all(ETA not in w.free_symbols for w in theorem.unrolled[3])
    # and it is the right vector: at random integer data, two rates, by hand
    rng = random.Random(0)
    for _ in range(10):
        data = random_data(rng, 3)
        at = {sym: s[key] for k, s in enumerate(data, 1) for key, sym in zip((x1, x2, t), sp.symbols(f"x1_s{k} x2_s{k} t_s{k}"))}
        scaled = [v.xreplace(at) for v in theorem.unrolled[3]]
        for eta in (Fraction(1, 3), Fraction(5)):
            w3 = perceptron([0, 0], as_samples(data), eta, 3)[3]
            assert [wi / eta for wi in w3] == [Fraction(int(v.p), int(v.q)) for v in scaled]


def test_the_induction_step_written_out():
    theorem = learning_rate_theorem(NET, steps=1)
    v1, v2 = theorem.scaled
    assert theorem.base == (0, 0) and theorem.base_holds
    assert theorem.prediction == phi(v1 * x1 + v2 * x2)
    hand = [v + (t - phi(v1 * x1 + v2 * x2)) * x for v, x in ((v1, x1), (v2, x2))]
    assert all(sp.expand(a - b) == 0 for a, b in zip(theorem.step_scaled, hand))
    assert all(sp.expand(w - ETA * v) == 0 for w, v in zip(theorem.step, theorem.step_scaled))


def test_the_induction_fails_where_eta_is_not_a_pure_scale():
    # two layers: the hidden weights' gradient carries the output weight eta*v,
    # so one step gives eta*v - eta**2*(...): not eta times an eta-free vector
    theorem = learning_rate_theorem(sg.Network.mlp([2, 2, 1], objective="perceptron"), steps=1)
    assert theorem.base_holds and not theorem.step_holds and not theorem.holds
    assert learning_rate_theorem(sg.Network.mlp([3, 1], bias=True, objective="perceptron"), steps=2).holds


def test_only_positive_factors_drop_out_of_phi():
    a, b = sp.symbols("a b")
    assert drop_positive_factors(phi(ETA * a + ETA * b)) == phi(a + b)
    assert drop_positive_factors(phi(-ETA * a + 3 * ETA * b)) == phi(-a + 3 * b)
    assert drop_positive_factors(phi(b * a + b)) == phi(b * (a + 1))
    with pytest.raises(sg.SymgradError, match="declared positive"):
        learning_rate_theorem(NET, lr=sp.Symbol("eta"))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_counterexample_changes_a_prediction_by_hand(seed):
    found = learning_rate_counterexample(NET, steps=2, seed=seed)
    assert any(found.init) and found.lrs[0] != found.lrs[1]
    samples = as_samples(found.data)
    x, _ = samples[found.sample]
    runs = []
    for lr in found.lrs:
        eta = Fraction(int(lr.p), int(lr.q))
        w = perceptron([Fraction(int(v)) for v in found.init], samples, eta, found.step)[found.step]
        assert w == [Fraction(int(v.p), int(v.q)) for v in found.weights[len(runs)]]
        runs.append(sum(wi * xi for wi, xi in zip(w, x)))
    assert [Fraction(int(z.p), int(z.q)) for z in found.scores] == runs
    assert step(runs[0]) != step(runs[1]) and runs[0] != 0 != runs[1]
    assert list(found.predictions) == [step(z) for z in runs]
    # from zero init the same data and rates predict alike at every step
    for k in range(1, 3):
        zs = [perceptron([0, 0], samples, Fraction(int(lr.p), int(lr.q)), k)[k] for lr in found.lrs]
        assert [step(sum(a * b for a, b in zip(zs[0], xi))) for xi, _ in samples] == \
               [step(sum(a * b for a, b in zip(zs[1], xi))) for xi, _ in samples]
    assert found.zero_init_agree


def test_scores_and_errors():
    data = [{x1: 1, x2: 0, t: -1}]
    assert scores(NET, [1, 2], 2, data, 1) == [[1], [-3]]
    with pytest.raises(sg.SymgradError, match="no perceptron objective"):
        learning_rate_counterexample(sg.examples.toy())
