"""Shared parameters: merging groups of weights (or biases) into one each.

>>> shared_numbering(["w1", "w2", "w3"], [], [["w1", "w3"]])
({0: 0, 1: 1, 2: 0}, ['w1', 'w2'], [])
"""
from __future__ import annotations

import numpy as np

from ..base.errors import SymgradError


def shared_numbering(weight_names, bias_names, groups) -> tuple[dict, list, list]:
    """The new number of every parameter reference (weights ``0, 1, ...``,
    biases ``-1, -2, ...``) once each group is one parameter, its first
    member's, and the names that remain (a missing name is ``wN``/``bN``)."""
    weights = [n or f"w{i + 1}" for i, n in enumerate(weight_names)]
    biases = [n or f"b{k + 1}" for k, n in enumerate(bias_names)]
    refs = {n: i for i, n in enumerate(weights)} | {n: -(k + 1) for k, n in enumerate(biases)}
    merged, seen = {}, set()
    for group in groups:
        members = []
        for member in group:
            if member not in refs:
                raise SymgradError(f"there is no weight or bias {member!r} to share")
            if member in seen:
                raise SymgradError(f"{member} is in two shared groups: merge them")
            seen.add(member)
            members.append(refs[member])
        if len({m >= 0 for m in members}) > 1:
            raise SymgradError(f"a weight cannot be shared with a bias: {', '.join(group)}")
        merged.update((m, members[0]) for m in members[1:])
    kept_w = [i for i in range(len(weights)) if i not in merged]
    kept_b = [k for k in range(len(biases)) if -(k + 1) not in merged]
    renumber = {old: new for new, old in enumerate(kept_w)} | {-(k + 1): -(new + 1) for new, k in enumerate(kept_b)}
    every = [*range(len(weights)), *(-(k + 1) for k in range(len(biases)))]
    numbering = {p: renumber[merged.get(p, p)] for p in every}
    return numbering, [weights[i] for i in kept_w], [biases[k] for k in kept_b]


def renumbered(refs: np.ndarray, numbering: dict) -> np.ndarray:
    """The parameter references ``refs`` (weights ``0, 1, ...``, biases ``-1, -2, ...``)
    renumbered by ``numbering`` (from ``shared_numbering``), all at once.

    >>> renumbered(np.array([0, 2, -1, 1]), {0: 0, 1: 1, 2: 0, -1: -1}).tolist()
    [0, 0, -1, 1]
    """
    weights = sum(1 for p in numbering if p >= 0)
    lookup = np.empty(len(numbering), np.int64)          # weights at 0.., then biases -1, -2, ...
    for old, new in numbering.items():
        lookup[old if old >= 0 else weights - old - 1] = new
    return lookup[np.where(refs >= 0, refs, weights - refs - 1)]
