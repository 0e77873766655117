"""Activation functions: one formula each, evaluated by any backend.

An activation maps the pre-activation ``z`` to the unit's value ``y`` and gives
its slope ``dy/dz`` in terms of ``z`` and ``y`` (so that ``tanh' = 1 - y**2``
reads as in textbooks).  Formulas are written once against a *maths backend*
(``symgrad.maths.backends``): SymPy for exact expressions, fractions or intervals
for numeric witnesses, floats for training.

>>> import sympy as sp
>>> from symgrad.maths.backends import SYMBOLIC
>>> z, y = sp.symbols("z y")
>>> TANH.value(z, SYMBOLIC), TANH.slope(z, y, SYMBOLIC)
(tanh(z), 1 - y**2)
>>> relu(at_zero=sp.Rational(1, 2)).slope(sp.S.Zero, sp.S.Zero, SYMBOLIC)
1/2
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..base.errors import SymgradError
from ..base.values import to_expr


@dataclass(frozen=True, slots=True)
class Activation:
    """An elementwise activation ``y = f(z)``; subclasses give ``f`` and ``f'``."""

    name: str = "identity"
    rational = True    # maps rationals to rationals exactly
    polynomial = True  # its value and slope are polynomials (gradients stay polynomial)
    kink = False       # has a kink at 0, whose slope there is a convention (relu'(0))
    uses_pre = False   # the slope is written with z (not only with y)

    def value(self, z, m):
        return z

    def slope(self, z, y, m):
        return m.one

    def describe(self) -> str:
        return self.name

    def __str__(self) -> str:
        return self.describe()


@dataclass(frozen=True, slots=True)
class Identity(Activation):
    name: str = "identity"


@dataclass(frozen=True, slots=True)
class ReLU(Activation):
    """max(0, z); its slope at exactly 0 is the convention ``at_zero``.

    PyTorch's ``relu`` uses 0, ``torch.maximum`` 1/2, ``clamp_min`` 1, and
    SymPy's ``Heaviside(0)`` is 1/2: where a pre-activation is exactly 0 the
    answer depends on this choice, so it is explicit.
    """

    name: str = "relu"
    polynomial = False
    kink = True
    at_zero: sp.Rational = sp.S.Zero
    uses_pre = True

    def value(self, z, m):
        return m.relu(z)

    def slope(self, z, y, m):
        return m.heaviside(z, self.at_zero)

    def describe(self) -> str:
        return f"relu (slope {self.at_zero} at 0)"


@dataclass(frozen=True, slots=True)
class Sigmoid(Activation):
    name: str = "sigmoid"
    rational = False
    polynomial = False

    def value(self, z, m):
        return m.one / (m.one + m.exp(-z))

    def slope(self, z, y, m):
        return m.sigmoid_slope(z, y)


@dataclass(frozen=True, slots=True)
class Tanh(Activation):
    name: str = "tanh"
    rational = False
    polynomial = False

    def value(self, z, m):
        return m.tanh(z)

    def slope(self, z, y, m):
        return m.tanh_slope(z, y)


@dataclass(frozen=True, slots=True)
class Undefined(Activation):
    """An activation sigma about which nothing is assumed: results hold for any."""

    name: str = "sigma"
    rational = False
    polynomial = False
    uses_pre = True

    def value(self, z, m):
        return m.sigma(z)

    def slope(self, z, y, m):
        return m.sigma_slope(z)

    def describe(self) -> str:
        return "sigma (any activation)"


@dataclass(frozen=True, slots=True)
class Step(Activation):
    """The perceptron's decision phi(z) = 1 if z >= 0 else -1 (slope 0)."""

    name: str = "step"
    uses_pre = True

    def value(self, z, m):
        return m.step(z)

    def slope(self, z, y, m):
        return m.zero


IDENTITY = Identity()
SIGMOID = Sigmoid()
TANH = Tanh()
SIGMA = Undefined()
STEP = Step()


def relu(at_zero=0) -> ReLU:
    """ReLU whose slope at exactly 0 is ``at_zero`` (PyTorch's relu: 0)."""
    return ReLU(at_zero=sp.nsimplify(at_zero))


BY_NAME = {
    "identity": IDENTITY,
    "linear": IDENTITY,
    "relu": relu(0),
    "sigmoid": SIGMOID,
    "tanh": TANH,
    "sigma": SIGMA,
    "step": STEP,
}


def activation(spec: str | Activation) -> Activation:
    """The activation named ``spec`` (``relu``, ``relu:1/2``, ``tanh``, ...).

    >>> activation("relu:1/2").at_zero
    1/2
    """
    if isinstance(spec, Activation):
        return spec
    name, _, option = str(spec).partition(":")
    if name == "relu" and option:
        try:
            slope = to_expr(option)
        except SymgradError as error:
            raise SymgradError(f"bad ReLU slope at 0 {option!r}: {error}") from None
        if not slope.is_Rational:
            raise SymgradError(f"bad ReLU slope at 0 {option!r}: give a number such as 0, 1/2 or 1")
        return relu(slope)
    if name not in BY_NAME or option:
        known = ", ".join(sorted(BY_NAME))
        raise SymgradError(f"unknown activation {spec!r}: choose one of {known} (relu:VALUE sets relu'(0))")
    return BY_NAME[name]
