"""Numeric training traces (float64): watch tied weights move together.

``train(net, init, steps=20)`` picks random values for the initialisation's
symbols and for a small random data set, then runs gradient descent (or any
elementwise optimiser) numerically and records every parameter at every
step.  It is the experiment beside the proof: weights of one invariant class
stay equal, the others drift apart.

>>> from symgrad import examples, Constant
>>> trace = train(examples.toy(), Constant("a"), steps=5, seed=1)
>>> trace.values[-1][0] == trace.values[-1][1], trace.values[-1][0] == trace.values[-1][2]
(True, False)
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp

from ..base.printable import Printable
from ..maths.backends import FLOAT
from ..maths.step import update
from ..model.ops import CrossEntropy
from .optim import GradientDescent, optimiser as parse_optimiser


@dataclass(frozen=True, repr=False)
class Trace(Printable):
    """Parameter values (floats) after each step: ``values[t][p]``."""

    network: object
    values: tuple[tuple[float, ...], ...]
    point: dict
    data: tuple[dict, ...]

    def series(self, parameter) -> list[float]:
        """One parameter's values over the steps."""
        p = self.network.index_of(parameter)
        return [v[p] for v in self.values]


def random_data(net, samples: int, rng: random.Random) -> list[dict]:
    """Random inputs in [-1, 1]; targets uniform, or one-hot for cross-entropy."""
    data = []
    one_hot = isinstance(net.nodes[net.objective].op, CrossEntropy)
    for _ in range(samples):
        sample = {x: rng.uniform(0.1, 1) if x.is_positive else rng.uniform(-1, 1) for x in net.inputs}
        if one_hot:
            hot = rng.randrange(len(net.targets))
            sample.update({t: float(k == hot) for k, t in enumerate(net.targets)})
        else:
            sample.update({t: rng.uniform(-1, 1) for t in net.targets})
        data.append(sample)
    return data


def train(net, init, steps: int = 20, lr: float = 0.05, samples: int = 4, seed: int = 0, optimiser=None,
          point: dict | None = None, data=None) -> Trace:
    """Train ``net`` from ``init`` for ``steps`` full-batch steps in float64.

    Symbols in the initial values (such as ``a``) get random values in
    [0.2, 0.8] (negative where the symbol is negative) unless ``point`` gives them.
    """
    rng = random.Random(seed)
    opt = parse_optimiser(optimiser, numeric=True) if optimiser is not None else GradientDescent()
    initial = init.values(net)
    symbols = sorted(set().union(*(sp.sympify(v).free_symbols for v in initial)), key=str)
    point = dict(point or {})
    for s in symbols:
        point.setdefault(s, -rng.uniform(0.2, 0.8) if s.is_negative else rng.uniform(0.2, 0.8))
    params = [float(sp.sympify(v).xreplace(point)) for v in initial]
    data = list(data) if data is not None else random_data(net, samples, rng)
    states = [opt.init_state()] * len(params)
    history = [tuple(params)]
    for t in range(1, steps + 1):
        params, states = update(net, FLOAT, params, data, lr, opt, states, t)
        history.append(tuple(params))
    return Trace(net, tuple(history), point, tuple(data))
