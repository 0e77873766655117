"""Numeric witnesses: gradients evaluated at random points, exactly.

A point gives every free symbol (inputs and targets of every sample, the
initialisation's constants, the class symbols) a random rational that
respects its assumptions.  Networks whose operations are all rational are
evaluated with fractions, so a difference is exact; the others with
rigorous interval arithmetic (60 digits), so disjoint enclosures *prove* a
difference.  Values are only ever used to prove that two gradients differ,
or to bucket candidates for a symbolic proof of equality; never to claim
equality.

>>> import sympy as sp
>>> from symgrad import examples
>>> net = examples.toy()
>>> ev = Evaluator(net, [sp.Symbol("a")] * 10, seed=1)
>>> ev.backend.name, len(ev.points)
('exact', 2)
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cached_property

import mpmath
import sympy as sp

from ..base.errors import Inconclusive
from ..maths.backends import EXACT, INTERVAL
from ..maths.backprop import gradients_over
from ..maths.points import random_value
from ..model.nodes import FUNCTION, NEURON

POINTS = 2   # points every gradient is evaluated at
EXTRA = 6    # further points tried, on demand, to prove a difference
ATTEMPTS = 24


def is_rational_network(net) -> bool:
    """Whether every operation maps rationals to rationals (no exp, tanh, ...)."""
    for node in net.nodes:
        if node.kind == NEURON and not node.activation.rational:
            return False
        if node.kind == FUNCTION and not node.op.rational:
            return False
    return True


@dataclass
class Point:
    """Values for the free symbols, and the gradients there (per parameter)."""

    values: dict
    gradients: list

    @cached_property
    def exact(self) -> dict:
        """The point as SymPy rationals."""
        return {s: sp.Rational(v.numerator, v.denominator) for s, v in self.values.items()}


class Evaluator:
    """Gradients of ``net`` at parameter values ``params`` (expressions), over
    the data, evaluated at a few random points."""

    def __init__(self, net, params, seed: int = 0, points: int = POINTS):
        self.net, self.params = net, list(params)
        self.backend = EXACT if is_rational_network(net) else INTERVAL
        self.rng = random.Random(seed)
        symbols = set().union(*(sp.sympify(p).free_symbols for p in self.params))
        for sample in net.samples:
            for s in (*net.inputs, *net.targets):
                symbols |= sp.sympify(sample.get(s, s)).free_symbols
        self.symbols = sorted(symbols, key=str)
        self.points: list[Point] = []
        self.extra: list[Point] = []
        self._attempts = 0
        while len(self.points) < points and self._new_point(self.points):
            pass

    def _new_point(self, into: list) -> bool:
        """Add a random point where every gradient evaluates; False when out of attempts."""
        while self._attempts < ATTEMPTS:
            self._attempts += 1
            values = {s: random_value(s, self.rng) for s in self.symbols}
            try:
                into.append(Point(values, self._gradients(values)))
                return True
            except (Inconclusive, ZeroDivisionError):
                continue
        return False

    def _all_points(self):
        yield from self.points
        yield from self.extra
        while len(self.extra) < EXTRA and self._new_point(self.extra):
            yield self.extra[-1]

    def _gradients(self, values) -> list:
        m, net = self.backend, self.net
        rationals = {s: sp.Rational(v.numerator, v.denominator) for s, v in values.items()}
        cache: dict = {}

        def number(expr):
            if expr not in cache:
                if expr in values:
                    cache[expr] = m.number(values[expr])
                else:
                    cache[expr] = m.number(sp.sympify(expr).xreplace(rationals))
            return cache[expr]

        params = [number(p) for p in self.params]
        samples = net.sample_values(number)
        return gradients_over(net, m, params, samples, share=True)

    def key(self, p: int) -> tuple:
        """Equal for parameters whose gradients agree at every point."""
        if self.backend is EXACT:
            return tuple(pt.gradients[p] for pt in self.points)
        return tuple(_bucket(pt.gradients[p]) for pt in self.points)

    def differ(self, p: int, q: int) -> Point | None:
        """A point where the gradients of ``p`` and ``q`` provably differ."""
        for pt in self._all_points():
            if self.backend.differ(pt.gradients[p], pt.gradients[q]):
                return pt
        return None

    def nonzero(self, p: int) -> Point | None:
        """A point where the gradient of ``p`` is provably not 0."""
        for pt in self._all_points():
            if self.backend.differ(pt.gradients[p], self.backend.zero):
                return pt
        return None

    def show(self, value) -> sp.Expr:
        """A value as SymPy: exact, or the interval's midpoint to 15 digits."""
        if self.backend is EXACT:
            return sp.Rational(value.numerator, value.denominator)
        return sp.Float(_digits(value, 15), 15)


def _bucket(interval):
    """A key for grouping interval values: 0 for an enclosure of 0 (an
    exact zero computed in interval arithmetic), else the midpoint rounded to
    64 bits (keys only gather candidates; every claim is checked apart).

    >>> _bucket(mpmath.iv.mpf([-1, 1])), _bucket(mpmath.iv.mpf(3)) == _bucket(mpmath.iv.mpf(3))
    ('0', True)
    """
    low, high = interval._mpi_   # ``0 in interval`` without converting 0 to an interval each time
    lib = mpmath.libmp
    if lib.mpf_sign(low) <= 0 <= lib.mpf_sign(high):
        return "0"
    return lib.mpf_shift(lib.mpf_add(low, high, 64, "n"), -1)


def _digits(interval, digits: int) -> str:
    """The midpoint of an mpmath interval as a decimal string."""
    return mpmath.libmp.to_str(interval.mid._mpi_[0], digits)
