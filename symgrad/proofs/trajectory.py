"""Trajectory witnesses: gradient descent from the initial point, until classes separate.

The invariant partition is the coarsest one that gradient descent keeps on
the *whole* tied subspace; from one initialisation a trajectory can keep
more (zero init, dead units).  So that two classes the text calls separate
really do separate, a run of full-batch gradient descent from the stated
initialisation, with a concrete learning rate and concrete values for the
initialisation's constants and the data's free symbols (satisfying every
assumption), is computed exactly: with fractions where every operation is
rational, else in rigorous interval arithmetic (disjoint enclosures prove a
difference).  The step at which two classes first differ is the
certificate; one run certifies every pair it separates.

>>> import sympy as sp
>>> from symgrad import examples, Constant
>>> net = examples.toy()
>>> classes = ((0, 1), (2, 3), (4, 5, 6, 7), (8, 9))
>>> found, missing = separations(net, [sp.Symbol("a")] * 10, classes)
>>> len(found), missing, sorted({s.step for s in found})
(6, (), [1])
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from ..base.errors import Inconclusive
from ..base.interrupts import checkpoint
from ..maths.backends import EXACT, INTERVAL
from ..maths.points import random_value
from ..maths.step import descend
from .witness import is_rational_network

RUNS = 4              # runs tried, each with its own learning rate and point
STEPS = 6             # steps of each run
CLASS_LIMIT = 400     # classes beyond which no separation is sought (pairs grow as the square)
PARAMETER_LIMIT = 2_000  # parameters beyond which no separation is sought (exact runs grow with the network)
LEARNING_RATES = (Fraction(1, 4), Fraction(1, 2), Fraction(1, 8), Fraction(1, 3))
EXACT_BITS = 4_096    # bits of a fraction beyond which a run goes on in interval arithmetic (its cost stays bounded)


@dataclass(frozen=True)
class Separation:
    """Parameters ``first`` and ``second`` (of two invariant classes) are
    equal before ``step`` and differ at ``step`` of full-batch gradient
    descent ``w <- w - lr * sum over samples of dL/dw`` from the initial
    point, with the free symbols at ``point``."""

    first: sp.Symbol
    second: sp.Symbol
    step: int
    lr: sp.Rational
    point: dict = field(default_factory=dict)
    arithmetic: str = "exact"   # or "interval": rigorous enclosures, disjoint at ``step``


def by_run(found) -> dict:
    """Separations grouped by the run that certifies them, then by step:
    ``{(lr, point items, arithmetic): {step: [Separation, ...]}}``."""
    runs: dict = {}
    for sep in found:
        key = (sep.lr, tuple(sep.point.items()), sep.arithmetic)
        runs.setdefault(key, {}).setdefault(sep.step, []).append(sep)
    return {key: dict(sorted(steps.items())) for key, steps in runs.items()}


def separations(net, values, classes, seed: int = 0) -> tuple[tuple[Separation, ...], tuple | None]:
    """A certificate for every pair of ``classes`` that gradient descent from
    ``values`` separates, and the pairs (of class indices) it did not
    (None: not sought, beyond ``CLASS_LIMIT`` or ``PARAMETER_LIMIT``)."""
    if len(classes) > CLASS_LIMIT or net.parameter_count > PARAMETER_LIMIT:
        return (), None
    left = {(i, j) for i in range(len(classes)) for j in range(i + 1, len(classes))}
    found: list[Separation] = []
    for run in range(RUNS):
        if not left:
            break
        checkpoint()
        rng = random.Random(seed * RUNS + run)
        try:
            found += _run(net, values, classes, left, LEARNING_RATES[run % len(LEARNING_RATES)], rng)
        except (Inconclusive, ZeroDivisionError, OverflowError):
            continue
    return tuple(found), tuple(sorted(left))


def _run(net, values, classes, left: set, lr: Fraction, rng: random.Random) -> list[Separation]:
    """One run: certify (and remove from ``left``) the pairs it separates."""
    m = EXACT if is_rational_network(net) else INTERVAL
    symbols = set().union(*(sp.sympify(v).free_symbols for v in values))
    for sample in net.sample_values():
        symbols = symbols.union(*(v.free_symbols for v in sample.values()))
    point = {s: random_value(s, rng) for s in sorted(symbols, key=str)}
    exact = {s: sp.Rational(q.numerator, q.denominator) for s, q in point.items()}

    def number(expr):
        value = sp.sympify(expr).xreplace(exact)
        return m.number(Fraction(int(value.p), int(value.q)) if value.is_Rational else value)

    params = [number(v) for v in values]
    samples = net.sample_values(number)
    step_size = m.number(lr)
    found = []
    for step in range(STEPS + 1):
        for i, j in sorted(left):
            first, second = params[classes[i][0]], params[classes[j][0]]
            if m.differ(first, second):
                found.append(Separation(net.parameters[classes[i][0]], net.parameters[classes[j][0]], step,
                                        sp.Rational(lr.numerator, lr.denominator), exact,
                                        "exact" if m is EXACT else "interval"))
                left.discard((i, j))
        if not left or step == STEPS:
            break
        params = descend(net, m, params, samples, step_size)
        if m is EXACT and max(_bits(p) for p in params) > EXACT_BITS:   # fractions grow with every step:
            m = INTERVAL                                                 # go on in enclosures of them
            params, step_size = [m.number(p) for p in params], m.number(lr)
            samples = [{k: m.number(v) for k, v in sample.items()} for sample in samples]
    return found


def _bits(q: Fraction) -> int:
    return max(q.numerator.bit_length(), q.denominator.bit_length())
