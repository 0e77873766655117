"""Maths backends: the same formulas evaluated symbolically or numerically.

Activations and output operations are written once against a backend ``m``
(``m.exp``, ``m.relu``, ``m.one``, ...).  ``SYMBOLIC`` builds SymPy
expressions; ``EXACT`` computes with fractions (for networks whose operations
are rational, it gives exact witnesses); ``INTERVAL`` encloses every value in a
rigorous interval (mpmath's ``iv``), so two disjoint enclosures *prove* two
values differ; ``FLOAT`` is plain float64 for training traces.

>>> from fractions import Fraction
>>> EXACT.relu(Fraction(-1, 2)), EXACT.heaviside(Fraction(0), Fraction(1, 2))
(Fraction(0, 1), Fraction(1, 2))
>>> INTERVAL.differ(INTERVAL.number(1), INTERVAL.number(2))
True
"""
from __future__ import annotations

import math
import operator
from fractions import Fraction
from functools import reduce

import sympy as sp
from mpmath.ctx_iv import MPIntervalContext

from ..base.errors import Inconclusive
from .functions import SIGMA, phi, sigma_slope


class Symbolic:
    """SymPy expressions (exact, symbolic)."""

    name = "symbolic"
    one, zero = sp.S.One, sp.S.Zero
    exp, log, tanh = staticmethod(sp.exp), staticmethod(sp.log), staticmethod(sp.tanh)

    @staticmethod
    def number(q):
        return sp.nsimplify(q)

    @staticmethod
    def total(terms):
        return sp.Add(*terms)

    @staticmethod
    def relu(z):
        return sp.Max(0, z)

    @staticmethod
    def heaviside(z, at_zero):
        return sp.Heaviside(z, at_zero)

    @staticmethod
    def sigma(z):
        return SIGMA(z)

    @staticmethod
    def tanh_slope(z, y):
        return 1 - y**2

    @staticmethod
    def sigmoid_slope(z, y):
        return y * (1 - y)

    @staticmethod
    def sigma_slope(z):
        return sigma_slope(z)

    @staticmethod
    def step(z):
        return phi(z)


class _Sign:
    """Branching on the sign of a number, shared by the numeric backends."""

    zero: object
    one: object

    def sign(self, z) -> int:
        return (z > 0) - (z < 0)

    def relu(self, z):
        return z if self.sign(z) > 0 else self.zero

    def heaviside(self, z, at_zero):
        s = self.sign(z)
        return self.one if s > 0 else self.zero if s < 0 else self.number(at_zero)

    def step(self, z):
        return self.one if self.sign(z) >= 0 else -self.one

    @staticmethod
    def total(terms):
        return sum(terms)


class Exact(_Sign):
    """Fractions: exact arithmetic for rational operations only."""

    name = "exact"
    one, zero = Fraction(1), Fraction(0)

    @staticmethod
    def number(q):
        if isinstance(q, (int, Fraction)):
            return Fraction(q)
        q = q if isinstance(q, sp.Rational) else sp.nsimplify(q)
        if not q.is_Rational:
            raise Inconclusive(f"{q} is not rational")
        return Fraction(int(q.p), int(q.q))

    def _irrational(self, *_):
        raise Inconclusive("the exact backend has no transcendental functions")

    exp = log = tanh = sigma = sigma_slope = tanh_slope = sigmoid_slope = _irrational

    @staticmethod
    def differ(a, b) -> bool:
        return a != b


class Interval(_Sign):
    """Rigorous enclosures (mpmath.iv at 60 digits): disjoint means different."""

    name = "interval"
    ctx = MPIntervalContext()   # symgrad's own context: mpmath's global ``iv`` keeps its precision
    ctx.dps = 60
    one, zero = ctx.mpf(1), ctx.mpf(0)

    def total(self, terms):
        """The sum from the first term on (``sum`` would first add the integer 0,
        converting it to an interval for every sum: the same enclosure, slower)."""
        return reduce(operator.add, terms) if terms else self.zero

    def number(self, q):
        if isinstance(q, (int, Fraction)):
            return self.ctx.mpf(q.numerator) / q.denominator
        q = q if isinstance(q, sp.Rational) else sp.nsimplify(q)
        if q.is_Rational:
            return self.ctx.mpf(int(q.p)) / int(q.q)
        return self.ctx.mpf(str(sp.N(q, 80)))

    def sign(self, z) -> int:
        if z.a > 0:
            return 1
        if z.b < 0:
            return -1
        if z.a == 0 and z.b == 0:
            return 0
        raise Inconclusive("an interval straddles 0")

    def exp(self, z):
        return self.ctx.exp(z)

    def log(self, z):
        return self.ctx.log(z)

    def tanh(self, z):
        e = self.ctx.exp(2 * z)
        return 1 - 2 / (e + 1)

    # The slopes by formulas without cancellation: 1 - tanh(z)**2 at z = 75 is
    # 4e-65, which 60 digits of 1 - y**2 cannot tell from 0 (the enclosure
    # would contain 0, and every gradient through a saturated unit with it).
    def tanh_slope(self, z, y):
        s = self.ctx.exp(z) + self.ctx.exp(-z)
        return 4 / (s * s)

    def sigmoid_slope(self, z, y):
        return 1 / ((1 + self.ctx.exp(-z)) * (1 + self.ctx.exp(z)))

    # A concrete stand-in for the undefined sigma: a difference found with it
    # refutes "equal for every activation"; it never proves an equality.
    def sigma(self, z):
        return self.tanh(z + self.third) + z * z / 5

    def sigma_slope(self, z):
        t = self.tanh(z + self.third)
        return 1 - t * t + 2 * z / 5

    @property
    def third(self):
        return self.ctx.mpf(1) / 3

    @staticmethod
    def differ(a, b) -> bool:
        d = a - b
        return bool(d.a > 0 or d.b < 0)


class Float(_Sign):
    """float64, for numeric training traces and quick checks."""

    name = "float"
    one, zero = 1.0, 0.0
    exp, log, tanh = staticmethod(math.exp), staticmethod(math.log), staticmethod(math.tanh)

    @staticmethod
    def number(q):
        return float(q)

    def sigma(self, z):
        return math.tanh(z + 1 / 3) + z * z / 5

    def sigma_slope(self, z):
        return 1 - math.tanh(z + 1 / 3) ** 2 + 2 * z / 5

    @staticmethod
    def tanh_slope(z, y):
        return 1 - y * y

    @staticmethod
    def sigmoid_slope(z, y):
        return y * (1 - y)


SYMBOLIC = Symbolic()
EXACT = Exact()
INTERVAL = Interval()
FLOAT = Float()
