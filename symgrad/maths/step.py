"""One step of gradient descent: the gradient summed over the samples, then
each parameter updated (by plain descent ``w - lr g``, or by an optimiser's
elementwise ``update``).  The trajectory witnesses of the proofs, unrolled
exact training and float training all take their steps here.

>>> import sympy as sp
>>> from symgrad import Network
>>> from symgrad.maths.backends import SYMBOLIC
>>> net = Network.mlp([1, 1])
>>> w, x, eta = sp.symbols("w1 x1 eta")
>>> descend(net, SYMBOLIC, [w], [{}], eta)
[-eta*x1 + w1]
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from .backprop import gradients_over


def descend(net, m, params: Sequence, samples: Sequence[Mapping], lr) -> list:
    """Plain gradient descent: ``w - lr * (the gradient summed over samples)`` for every parameter."""
    return [w - lr * g for w, g in zip(params, gradients_over(net, m, params, samples))]


def update(net, m, params: Sequence, samples: Sequence[Mapping], lr, optimiser, states: Sequence, t: int) -> tuple[list, list]:
    """Step ``t`` of ``optimiser`` (an elementwise ``update(w, g, state, t, lr)``)
    on the gradient summed over ``samples``: the new parameters and states."""
    moved = [optimiser.update(w, g, s, t, lr) for w, g, s in zip(params, gradients_over(net, m, params, samples), states)]
    return [w for w, _ in moved], [s for _, s in moved]
