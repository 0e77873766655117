"""Data: the samples a gradient is summed over.

A sample is a substitution for the network's inputs and targets.  Without
data a network has one sample, its own symbols; ``generic(net, n)`` gives
``n`` samples with fresh symbols each (``x1_s2`` is input ``x1`` of sample 2),
and ``one_hot(net, classes)`` fixes each sample's target to a class.

>>> from symgrad import Network
>>> net = Network.mlp([2, 3], objective="cross_entropy")
>>> [dict(s) for s in one_hot(net, [1, 3])]    # doctest: +NORMALIZE_WHITESPACE
[{x1: x1_s1, x2: x2_s1, t1: 1, t2: 0, t3: 0}, {x1: x1_s2, x2: x2_s2, t1: 0, t2: 0, t3: 1}]
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import sympy as sp

from ..base.errors import SymgradError
from ..base.values import to_expr


def check_samples(net, samples: Sequence[Mapping]) -> tuple[dict, ...]:
    """Samples as dicts of symbols to SymPy values, checked against ``net``."""
    allowed = {str(s): s for s in (*net.inputs, *net.targets)}
    params = set(net.parameters) if net.parameter_count < 100_000 else set()
    checked = []
    for k, sample in enumerate(samples, 1):
        out = {}
        for key, value in dict(sample).items():
            symbol = allowed.get(str(key))
            if symbol is None:
                raise SymgradError(f"sample {k} sets {key!r}, which is not an input or target of {net.name!r}")
            try:
                value = to_expr(value)
            except SymgradError as error:
                raise SymgradError(f"sample {k}: {key}: {error}") from None
            if value.free_symbols & params:
                raise SymgradError(f"sample {k}: the value of {key} involves the network's parameters")
            # a name of an input or target in a value is that input or target, with its assumptions
            out[symbol] = value.xreplace({s: allowed[s.name] for s in value.free_symbols
                                          if isinstance(s, sp.Symbol) and s.name in allowed})
        checked.append(out)
    if not checked:
        raise SymgradError("the data have no samples")
    return tuple(checked)


def generic(net, count: int) -> tuple[dict, ...]:
    """``count`` samples with fresh input and target symbols each."""
    keys = (*net.inputs, *net.targets)
    return tuple({s: s.func(f"{s.name}_s{k}", **s.assumptions0) for s in keys} for k in range(1, count + 1))


def one_hot(net, classes: Sequence[int]) -> tuple[dict, ...]:
    """One sample per entry of ``classes`` (1-based), fresh inputs, one-hot targets."""
    if len(net.targets) < 2:
        raise SymgradError(f"{net.name!r} has no class targets to make one-hot")
    samples = []
    for k, c in enumerate(classes, 1):
        if not 1 <= c <= len(net.targets):
            raise SymgradError(f"class {c} is out of range 1..{len(net.targets)}")
        sample = {s: s.func(f"{s.name}_s{k}", **s.assumptions0) for s in net.inputs}
        sample.update({t: sp.S.One if i == c else sp.S.Zero for i, t in enumerate(net.targets, 1)})
        samples.append(sample)
    return tuple(samples)
