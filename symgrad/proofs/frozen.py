"""Frozen parameters: those that provably never move.

A set F of parameters is *frozen* when, with every member of F at its
initial value and every other parameter free (any value at all), the
gradient of each member of F vanishes identically, for every input the
data allows.  Then a step whose size is zero for a zero gradient (gradient
descent, momentum, Adam, per-sample SGD) leaves F where it is, and by
induction F never moves.  The union of frozen sets is frozen, so there is a
greatest one; it is found from above: start with the parameters whose
gradient is proven zero at the initial point, free those whose gradient is
not proven zero once the others may move, and repeat until nothing changes.

Behind a zero-initialised layer and a ReLU whose slope at 0 is 0, the next
layer's random weights are frozen too: their inputs are 0 for ever.

>>> import sympy as sp
>>> from symgrad import Network, Zero
>>> net = Network.mlp([2, 1, 1], activation="tanh")
>>> [net.parameters[p] for p in frozen_parameters(net, Zero().values(net), (0, 1, 2))]
[w1, w2, w3]
"""
from __future__ import annotations

from ..maths.backends import SYMBOLIC
from ..maths.backprop import gradients_over
from .equality import is_zero
from .witness import Evaluator


def frozen_parameters(net, values, zero_at_init, seed: int = 0) -> tuple[int, ...]:
    """The greatest frozen set (parameter indices), given the initial
    ``values`` and the parameters whose gradient is proven zero there."""
    frozen = set(zero_at_init)
    while frozen:
        params = [values[p] if p in frozen else net.parameters[p] for p in range(net.parameter_count)]
        if len(frozen) == net.parameter_count:     # every gradient zero at the initial point: stationary
            return tuple(sorted(frozen))
        evaluator = Evaluator(net, params, seed=seed)
        candidates = [p for p in sorted(frozen) if evaluator.nonzero(p) is None]
        gradients = gradients_over(net, SYMBOLIC, params, net.samples) if candidates else []
        still = {p for p in candidates if is_zero(gradients[p]) is True}
        if still == frozen:
            return tuple(sorted(frozen))
        frozen = still
    return ()
