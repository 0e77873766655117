"""Unrolled training: the exact parameters after each step.

``unroll(net, init, steps=k, lr=eta)`` applies ``k`` steps of an optimiser
(gradient descent by default) to the initial values, exactly, and returns a
``Trajectory``: the seed's story "after the first iteration ... after the
second iteration ..." in formulas.  With ``per_sample=True`` each step uses
one sample in turn (stochastic gradient descent) instead of their sum.

>>> import sympy as sp
>>> from symgrad import examples, Constant
>>> t = unroll(examples.toy(), Constant("a"), steps=1)
>>> t.value(1, "w9")
-2*a**2*eta*x1 - 2*a**2*eta*x2 + a
>>> t.ties(1)[-1]
(w9, w10)
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..base.limits import UnrollBudget
from ..base.printable import Printable
from ..base.values import to_expr
from ..maths.backends import SYMBOLIC
from ..maths.step import update
from ..proofs.classes import Classes
from ..proofs.equality import difference_point, group_equal
from ..proofs.witness import is_rational_network
from .optim import Optimiser, optimiser as parse_optimiser

ETA = sp.Symbol("eta", positive=True)


@dataclass(frozen=True, repr=False)
class Trajectory(Printable):
    """Exact parameter values after each step (``values[t][p]``, ``t = 0..steps``)."""

    network: object
    init: object
    optimiser: Optimiser
    lr: sp.Expr
    values: tuple[tuple[sp.Expr, ...], ...]
    per_sample: bool = False

    @property
    def steps(self) -> int:
        return len(self.values) - 1

    def value(self, t: int, parameter) -> sp.Expr:
        """The value of ``parameter`` after ``t`` steps."""
        return self.values[t][self.network.index_of(parameter)]

    def at(self, t: int) -> dict[sp.Symbol, sp.Expr]:
        return dict(zip(self.network.parameters, self.values[t]))

    def ties(self, t: int) -> list[tuple[sp.Symbol, ...]]:
        """Parameters equal after ``t`` steps, each equality proven by canonical form."""
        params = self.network.parameters
        return Classes.canonical(group_equal(self.values[t])).symbols(params)


def unroll(network, init, steps: int = 2, lr=ETA, optimiser="gd", data=None, per_sample: bool = False,
           expand: bool | None = None) -> Trajectory:
    """The exact parameters after ``steps`` steps from ``init``.

    ``lr`` is the learning rate (a positive symbol by default); ``optimiser``
    is ``gd``, ``momentum``, ``adam`` or an ``Optimiser``; ``data`` a list of
    samples.  Polynomial networks are expanded after every step (a canonical
    form); pass ``expand=False`` to keep the nested form.
    """
    opt = parse_optimiser(optimiser)
    net = network.with_data(data) if data else network
    values = [tuple(init.values(net))]
    expand = is_rational_network(net) and opt.polynomial if expand is None else expand
    states = [opt.init_state()] * net.parameter_count
    samples = net.samples
    budget = UnrollBudget(steps, expand)
    for t in range(1, steps + 1):
        current = values[-1]
        budget.start(t, current)
        batch = [samples[(t - 1) % len(samples)]] if per_sample else samples
        moved, states = update(net, SYMBOLIC, current, batch, lr, opt, states, t)
        new = []
        for w in moved:
            new.append(sp.expand(w) if expand else w)
            budget.add(new[-1])
        values.append(tuple(new))
    return Trajectory(net, init, opt, to_expr(lr), tuple(values), per_sample)


def differ_point(trajectory: Trajectory, t: int, a, b, seed: int = 0) -> dict | None:
    """A point where parameters ``a`` and ``b`` provably differ after ``t``
    steps (values of the free symbols), or None if none was found."""
    return difference_point(trajectory.value(t, a), trajectory.value(t, b), seed)
