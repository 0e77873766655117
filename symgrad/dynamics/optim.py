"""Optimisers that act elementwise on each parameter's gradient history.

An optimiser keeps, per parameter, a state built only from that parameter's
own gradients, and updates the parameter from its state.  Hence the
invariant ties survive every such optimiser: if two parameters are equal and
have had equal gradients at every step so far, their states are equal, so
their updates are equal (the same induction as for gradient descent).  Each
optimiser below gives ``init_state()`` and ``update(w, g, state, t, lr)``,
written for SymPy expressions and numbers alike.

>>> import sympy as sp
>>> w, g, eta = sp.symbols("w g eta")
>>> GradientDescent().update(w, g, None, 1, eta)
(-eta*g + w, None)
>>> Momentum(beta=sp.Rational(1, 2)).update(w, g, 0, 1, eta)
(-eta*g + w, g)
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..base.errors import SymgradError
from ..base.printable import Printable


@dataclass(frozen=True, repr=False)
class Optimiser(Printable):
    """An elementwise optimiser (abstract)."""

    name = "optimiser"
    polynomial = True  # updates are polynomial in w and g (expanding keeps them small)

    def init_state(self):
        return None

    def update(self, w, g, state, t: int, lr):
        raise NotImplementedError

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True, repr=False)
class GradientDescent(Optimiser):
    """``w <- w - lr * g``."""

    name = "gradient descent"

    def update(self, w, g, state, t, lr):
        return w - lr * g, None


@dataclass(frozen=True, repr=False)
class Momentum(Optimiser):
    """Heavy ball: ``v <- beta v + g``, ``w <- w - lr v`` (PyTorch's SGD momentum)."""

    beta: object = sp.Symbol("beta", positive=True)
    name = "momentum"

    def init_state(self):
        return 0

    def update(self, w, g, state, t, lr):
        v = self.beta * state + g
        return w - lr * v, v


@dataclass(frozen=True, repr=False)
class Adam(Optimiser):
    """Adam with bias correction: moments of ``g`` and ``g**2`` per parameter."""

    beta1: object = sp.Symbol("beta1", positive=True)
    beta2: object = sp.Symbol("beta2", positive=True)
    eps: object = sp.Symbol("epsilon", positive=True)
    name = "Adam"
    polynomial = False

    def init_state(self):
        return (0, 0)

    def update(self, w, g, state, t, lr):
        m = self.beta1 * state[0] + (1 - self.beta1) * g
        v = self.beta2 * state[1] + (1 - self.beta2) * g**2
        m_hat = m / (1 - self.beta1**t)
        v_hat = v / (1 - self.beta2**t)
        root = sp.sqrt(v_hat) if isinstance(v_hat, sp.Basic) else v_hat ** 0.5
        return w - lr * m_hat / (root + self.eps), (m, v)


OPTIMISERS = {"gd": GradientDescent, "momentum": Momentum, "adam": Adam}
NUMERIC = {"gd": {}, "momentum": {"beta": 0.9}, "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}}


def optimiser(spec, numeric: bool = False) -> Optimiser:
    """An optimiser by name (``gd``, ``momentum``, ``adam``) or as given;
    by name its hyper-parameters are symbols, or PyTorch's defaults if ``numeric``."""
    if isinstance(spec, Optimiser):
        return spec

    try:
        return OPTIMISERS[spec](**(NUMERIC[spec] if numeric else {}))
    except KeyError:
        raise SymgradError(f"unknown optimiser {spec!r}: choose one of {', '.join(OPTIMISERS)}") from None
