"""Edge storage: a network's edges as three int64 ``array``s (source, target,
parameter), read by numpy without a copy, grouped for the per-node walks, and
checked in bulk as they are added.

>>> a = as_edge_array(np.array([3, 1, 3]))
>>> as_numpy(a).tolist(), group(a, 4)
([3, 1, 3], ((), (1,), (), (0, 2)))
"""
from __future__ import annotations

from array import array

import numpy as np

from ..base.errors import SymgradError
from .nodes import NEURON

EDGE_TYPE = "q"   # int64


def edge_array() -> array:
    """An empty int64 ``array`` for edges."""
    return array(EDGE_TYPE)


def as_numpy(a: array) -> np.ndarray:
    """An int64 ``array`` as a numpy array (a view: no copy)."""
    return np.frombuffer(a, np.int64) if len(a) else np.zeros(0, np.int64)


def as_edge_array(values) -> array:
    """An int64 ``array`` holding ``values`` (copied once, in C)."""
    out = edge_array()
    out.frombytes(np.ascontiguousarray(values, np.int64).tobytes())
    return out


def group(keys: array, size: int) -> tuple[tuple[int, ...], ...]:
    """For each of ``size`` keys, the positions holding it (the edges into each
    node, out of it, or on each parameter)."""
    found: list[list[int]] = [[] for _ in range(size)]
    for e, k in enumerate(keys):
        found[k].append(e)
    return tuple(tuple(g) for g in found)


def more_parameters(names: list, count: int) -> np.ndarray:
    """Make room for ``count`` unnamed parameters at the end of ``names``; their indices."""
    start = len(names)
    names.extend([None] * count)
    return np.arange(start, start + count, dtype=np.int64)


def check_forward(nodes, bias_node: int | None, src: np.ndarray, tgt: np.ndarray) -> None:
    """Refuse edges that do not go forward (the constant 1 excepted) into an existing neuron."""
    n = len(nodes)
    neuron = np.fromiter((node.kind == NEURON for node in nodes), bool, n)
    forward = ((src >= 0) & (src < tgt)) | (src == (-1 if bias_node is None else bias_node))
    bad = ~(forward & (tgt < n) & (tgt >= 0)) | ~neuron[np.clip(tgt, 0, n - 1)]
    if bad.any():
        e = int(np.flatnonzero(bad)[0])
        raise SymgradError(f"edge {src[e]}->{tgt[e]} does not go forward into an existing neuron")
