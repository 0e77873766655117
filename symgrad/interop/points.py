"""Random points for numeric cross-checks, and symgrad's exact gradients there.

A point gives every parameter, and every free symbol of the data's inputs and
targets, a dyadic rational ``k/512`` in [-2, 2] (exact in float64, so another
engine sees the very same point), respecting sign assumptions; targets are
as free as inputs (cross-entropy targets need not sum to 1).  symgrad's gradients are evaluated from the explicit
expressions (``derive(net).gradient``), exactly at the point, then to 40
digits.  The undefined activation sigma has no value: both sides replace it
by SiLU, ``sigma(z) = z / (1 + exp(-z))``.

>>> import random
>>> import sympy as sp
>>> from symgrad import examples
>>> net = examples.toy()
>>> point = random_point(net, random.Random(1))
>>> sorted(point, key=str)[:3], all(abs(v) <= 2 and (v * SCALE).is_integer for v in point.values())
([w1, w10, w2], True)
>>> exact = exact_gradients(net, point)
>>> exact[8] == float(sp.sympify("w5*(w1*x1 + w3*x2) + w7*(w2*x1 + w4*x2)").xreplace(point))
True
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import mpmath
import sympy as sp

from ..maths import points
from ..maths.derivation import derive
from ..maths.functions import SIGMA

MP = mpmath.mp.clone()
MP.dps = 40
SCALE = 512  # points are multiples of 1/SCALE: exact in float64
_Z = sp.Dummy("z")
SILU = sp.Lambda(_Z, _Z / (1 + sp.exp(-_Z)))  # stands for the undefined sigma on both sides
SILU_SLOPE = sp.Lambda(_Z, sp.diff(SILU(_Z), _Z))  # sigma'(z), which symgrad keeps as Subs(Derivative(...))


def random_point(net, rng: random.Random) -> dict:
    """Values for the parameters and the data's free symbols (see the module)."""
    symbols = dict.fromkeys(net.parameters)
    for values in net.sample_values():
        for value in values.values():
            symbols.update(dict.fromkeys(sorted(value.free_symbols - symbols.keys(), key=str)))
    return points.random_point(symbols, rng, SCALE)


def sample_values(net, point: dict) -> list[dict]:
    """Each sample's inputs and targets at ``point``, as exact rationals."""
    return net.sample_values(lambda v: sp.sympify(v).xreplace(point))


def exact_gradients(net, point: dict) -> list[float]:
    """symgrad's exact gradients at ``point`` (sigma replaced by SiLU), as floats."""
    memo: dict = {}
    found = []
    for g in derive(net).gradients().values():
        value = g.xreplace(point)
        if value.has(SIGMA):
            value = value.replace(lambda e: isinstance(e, sp.Subs), lambda e: SILU_SLOPE(*e.point))
            value = value.replace(SIGMA, SILU)
        found.append(float(numeric(value, memo)))
    return found


FUNCTIONS = {sp.exp: MP.exp, sp.log: MP.log, sp.tanh: MP.tanh}


def numeric(e: sp.Expr, memo: dict):
    """A constant expression to 40 digits, each distinct subexpression once
    (``sympy.N`` re-walks shared subtrees, exponentially many in depth).

    >>> numeric(sp.tanh(sp.Rational(1, 2)) ** 2 + 1, {}) == MP.tanh(MP.mpf(1) / 2) ** 2 + 1
    True
    """
    if e in memo:
        return memo[e]
    args = [numeric(a, memo) for a in e.args] if e.args else []
    if e.is_Rational:
        v = MP.mpf(int(e.p)) / int(e.q)
    elif e.is_Add:
        v = MP.fsum(args)
    elif e.is_Mul:
        v = MP.fprod(args)
    elif e.is_Pow:
        v = args[0] ** (int(e.exp) if e.exp.is_Integer else args[1])
    elif e.func in FUNCTIONS:
        v = FUNCTIONS[e.func](args[0])
    else:
        v = MP.mpf(str(sp.N(e, MP.dps)))
    memo[e] = v
    return v


@dataclass(frozen=True)
class Comparison:
    """Gradients from symgrad (``exact``) and another engine (``other``) at
    ``point``, with the relative error of each."""

    network: object
    point: dict
    exact: tuple[float, ...]
    other: tuple[float, ...]

    @property
    def errors(self) -> tuple[float, ...]:
        """``|other - exact| / |exact|`` per parameter (``|other|`` where exact is 0)."""
        return tuple(abs(o - e) / abs(e) if e else abs(o) for e, o in zip(self.exact, self.other))

    @property
    def max_error(self) -> float:
        return max(self.errors, default=0.0)

    def worst(self) -> str:
        """The parameter with the largest relative error, for messages."""
        p = max(range(len(self.errors)), key=self.errors.__getitem__)
        return (f"{self.network.param_name(p)}: symgrad {self.exact[p]!r}, other {self.other[p]!r}, "
                f"relative error {self.errors[p]:.3g}")
