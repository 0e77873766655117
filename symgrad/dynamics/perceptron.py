"""The perceptron's learning rate: a pure scale from zero init, not otherwise.

The perceptron rule ``w <- w + eta (t - phi(w . x)) x`` is gradient descent,
one sample per step, on ``L = (phi(z) - t) z`` with the decision ``phi`` held
constant (``Network.mlp([n, 1], objective="perceptron")``).

*Theorem.* From ``w(0) = 0``, every ``w(t)`` is ``eta`` times a vector that
does not depend on ``eta``; hence no prediction ``phi(w(t) . x)`` does.  By
induction: ``w(0) = eta * 0``; if ``w = eta v``, then
``phi(w . x) = phi(eta v . x) = phi(v . x)`` (a positive factor drops out of
``phi``), so ``w' = eta (v + (t - phi(v . x)) x) = eta v'`` with ``v'`` free
of ``eta``.  ``learning_rate_theorem`` carries out both steps symbolically
and checks the unrolled ``w(t) / eta`` as well; ``learning_rate_counterexample``
finds data, a nonzero ``w(0)`` and two rates that change a prediction.

>>> from symgrad import Network
>>> net = Network.mlp([2, 1], objective="perceptron")
>>> theorem = learning_rate_theorem(net, steps=2)
>>> theorem.prediction, theorem.step_scaled[0], theorem.holds
(phi(v_w1*x1 + v_w2*x2), t*x1 + v_w1 - x1*phi(v_w1*x1 + v_w2*x2), True)
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import product

import sympy as sp

from ..base.errors import SymgradError
from ..base.printable import Printable
from ..maths.backends import SYMBOLIC
from ..maths.backprop import run
from ..maths.functions import phi
from ..model.constraints import Tied, Zero
from ..model.data import generic
from ..model.graph import Network
from ..model.ops import PerceptronCriterion
from .unrolling import ETA, unroll

RATES = tuple(map(sp.Rational, ("1/2", "1", "2", "3")))
TRIES = 2000
ZERO_INIT_TRIES = 60   # each try unrolls symbolic steps through the hidden layers


def drop_positive_factors(expr: sp.Expr) -> sp.Expr:
    """``expr`` with common factors pulled out of every ``phi`` argument
    (innermost first), so that positive ones drop out: ``phi(eta*a + eta*b)``
    becomes ``phi(a + b)`` for a positive ``eta``.

    >>> a, b = sp.symbols("a b")
    >>> drop_positive_factors(phi(ETA*a - ETA*b*phi(ETA*a)))
    phi(a - b*phi(a))
    """
    return expr.replace(lambda e: isinstance(e, phi), lambda e: phi(sp.factor_terms(e.args[0])))


def decision_node(net: Network) -> int:
    """The node holding the prediction ``phi(z)`` of a perceptron network."""
    objective = net.nodes[net.objective]
    if not isinstance(objective.op, PerceptronCriterion):
        raise SymgradError(f"network {net.name!r} has no perceptron objective (use objective='perceptron')")
    return objective.uses[0]


@dataclass(frozen=True, repr=False)
class LearningRateTheorem(Printable):
    """The induction that ``eta`` only scales ``w(t)`` from zero init.

    ``base`` is ``w(0)``; the step starts from ``w = eta * scaled`` on the
    network's own input and target symbols (any sample): ``prediction`` is
    ``phi(w . x)`` with ``eta`` dropped,
    ``step`` the updated ``w'`` and ``step_scaled`` ``w' / eta``; ``unrolled``
    is ``w(t) / eta`` for ``t = 0..steps``, one symbolic sample per step.
    """

    network: Network
    lr: sp.Symbol
    base: tuple[sp.Expr, ...]
    scaled: tuple[sp.Symbol, ...]
    prediction: sp.Expr
    step: tuple[sp.Expr, ...]
    step_scaled: tuple[sp.Expr, ...]
    data: tuple[dict, ...]
    unrolled: tuple[tuple[sp.Expr, ...], ...]
    applies: bool = True

    def _free(self, exprs) -> bool:
        return all(self.lr not in sp.sympify(e).free_symbols for e in exprs)

    @property
    def base_holds(self) -> bool:
        """``w(0) = 0 = eta * 0``."""
        return all(w == 0 for w in self.base)

    @property
    def step_holds(self) -> bool:
        """From ``w = eta v``, the prediction and ``w' / eta`` are free of ``eta``."""
        return self._free([self.prediction, *self.step_scaled])

    @property
    def holds(self) -> bool:
        """The hypothesis holds (``applies``) and the base, the step and every
        unrolled ``w(t) / eta`` check out."""
        return self.applies and self.base_holds and self.step_holds and all(self._free(w) for w in self.unrolled)


def theorem_applies(net: Network) -> bool:
    """The theorem's hypothesis: the decision's argument ``z`` is linear and
    homogeneous in the parameters (``z = w . x``: no hidden layer, no bias
    on an input), so that ``z(eta v) = eta z(v)``.

    >>> from symgrad import Network
    >>> theorem_applies(Network.mlp([2, 1], objective="perceptron"))
    True
    >>> theorem_applies(Network.mlp([2, 2, 1], activation="sigmoid", objective="perceptron"))
    False
    """
    z = run(net, SYMBOLIC, net.parameters, {}).values[net.nodes[decision_node(net)].args[0]]
    try:
        poly = sp.Poly(z, *net.parameters)
    except sp.PolynomialError:
        return False
    return all(sum(monomial) == 1 for monomial in poly.monoms())


def learning_rate_theorem(net: Network, steps: int = 3, lr: sp.Symbol = ETA) -> LearningRateTheorem:
    """Prove, by induction and by unrolling ``steps`` per-sample updates on
    symbolic data, that from zero init ``w(t) / lr`` is free of ``lr``.

    >>> from symgrad import Network
    >>> learning_rate_theorem(Network.mlp([2, 1], objective="perceptron"), steps=1).unrolled
    ((0, 0), (t_s1*x1_s1 - x1_s1, t_s1*x2_s1 - x2_s1))
    """
    if not (isinstance(lr, sp.Symbol) and lr.is_positive):
        raise SymgradError(f"the learning rate {lr} must be a symbol declared positive")
    decision = decision_node(net)
    scaled = tuple(sp.Symbol(f"v_{w}") for w in net.parameters)
    w = [lr * v for v in scaled]
    passed = run(net, SYMBOLIC, w, {})
    step = tuple(drop_positive_factors(wi - lr * g) for wi, g in zip(w, passed.gradients))
    data = generic(net, max(steps, 1))
    trajectory = unroll(net, Zero(), steps, lr=lr, data=data, per_sample=True)
    unrolled = tuple(tuple(sp.expand(drop_positive_factors(v) / lr) for v in values) for values in trajectory.values)
    return LearningRateTheorem(
        network=net, lr=lr, base=trajectory.values[0], scaled=scaled,
        prediction=drop_positive_factors(passed.values[decision]),
        step=step, step_scaled=tuple(sp.expand(s / lr) for s in step),
        data=data, unrolled=unrolled, applies=theorem_applies(net),
    )


@dataclass(frozen=True, repr=False)
class Counterexample(Printable):
    """Data, a nonzero ``w(0)`` and two learning rates under which the
    prediction on ``data[sample]`` after ``step`` per-sample updates differs.
    ``scores`` are ``z = w(step) . x`` under each rate (both nonzero, so the
    difference does not hang on ``phi(0)``), ``weights`` are ``w(step)``;
    ``zero_init_agree`` records that from ``w(0) = 0`` the same data and rates
    predict alike at every step."""

    network: Network
    data: tuple[dict, ...]
    init: tuple[sp.Integer, ...]
    lrs: tuple[sp.Rational, sp.Rational]
    step: int
    sample: int
    scores: tuple[sp.Rational, sp.Rational]
    predictions: tuple[sp.Integer, sp.Integer]
    weights: tuple[tuple[sp.Rational, ...], tuple[sp.Rational, ...]]
    zero_init_agree: bool


def scores(net: Network, init, lr, data, steps: int) -> list[list[sp.Rational]]:
    """``z = w(t) . x_i`` for ``t = 0..steps`` and every sample ``i``, exactly,
    after per-sample updates from ``init`` at rate ``lr``; the prediction is
    ``phi(z)``."""
    z = net.nodes[decision_node(net)].args[0]
    trajectory = _train(net, init, lr, data, steps)
    return [[run(net, SYMBOLIC, w, s).values[z] for s in trajectory.network.samples] for w in trajectory.values]


def _train(net, init, lr, data, steps: int):
    """Per-sample updates from the values ``init`` (one per parameter)."""
    return unroll(net, Tied(dict(zip(net.parameters, init))), steps, lr=lr, data=data, per_sample=True)


def learning_rate_counterexample(net: Network, steps: int = 2, seed: int = 0, samples: int = 2,
                                 zero_init: bool = False) -> Counterexample:
    """Search small integer data, a nonzero integer ``w(0)`` (or ``w(0) = 0``
    with ``zero_init``, where the theorem does not apply) and two rates from
    ``RATES`` until a prediction within ``steps`` updates differs (with
    nonzero scores); returns the exactly checked witness.

    >>> from symgrad import Network
    >>> found = learning_rate_counterexample(Network.mlp([2, 1], objective="perceptron"))
    >>> found.predictions[0] != found.predictions[1], found.zero_init_agree
    (True, True)
    """
    decision_node(net)
    rng = random.Random(seed)
    keys = (*net.inputs, *net.targets)
    for _ in range(TRIES):
        data = tuple({k: sp.Integer(rng.choice((-1, 1)) if k in net.targets else rng.randint(-2, 2)) for k in keys}
                     for _ in range(samples))
        init = tuple(sp.Integer(0 if zero_init else rng.randint(-2, 2)) for _ in net.parameters)
        if (zero_init or any(init)) and (found := _first_difference(net, init, tuple(rng.sample(RATES, 2)), data, steps)):
            return found
        if zero_init and _ >= ZERO_INIT_TRIES:
            break
    raise SymgradError(f"no counterexample within {TRIES} tries of {steps} steps on {samples} samples")


def _first_difference(net, init, lrs, data, steps) -> Counterexample | None:
    runs = [scores(net, init, lr, data, steps) for lr in lrs]
    for t, i in product(range(1, steps + 1), range(len(data))):
        z = (runs[0][t][i], runs[1][t][i])
        if z[0] * z[1] < 0:
            zero = [0] * net.parameter_count
            signs = [[[phi(v) for v in row] for row in scores(net, zero, lr, data, steps)] for lr in lrs]
            weights = tuple(_train(net, init, lr, data, t).values[t] for lr in lrs)
            return Counterexample(net, data, init, lrs, t, i, z, (phi(z[0]), phi(z[1])), weights, signs[0] == signs[1])
    return None
