"""Partitions of parameters, and splitting them by gradient.

A class splits where gradients differ.  Candidates are first bucketed by
their values at random points (``symgrad.proofs.witness``); within a bucket,
equality must be proven by canonical form (``symgrad.proofs.equality``), and across
buckets the difference is proven by a point.  A pair neither proven equal nor
proven different is *undecided* and kept apart (the sound choice for an
invariant).

>>> from symgrad.proofs.classes import Classes
>>> class Exact:   # every gradient of parameter p is p // 2: pairs (0, 1) and (2, 3)
...     def key(self, p): return p // 2
...     def differ(self, p, q): return None
>>> split(Classes([(0, 1, 2, 3)]), Exact(), lambda: [0, 0, 1, 1])[0]
((0, 1), (2, 3))
"""
from __future__ import annotations

from collections.abc import Callable

from .classes import Classes
from .equality import decide
from .records import Split


def split(classes: Classes, evaluator, symbolic: Callable[[], list]) -> tuple[Classes, tuple[Split, ...], tuple]:
    """Split every class where gradients differ; returns the new classes, a
    witness for each split, and the undecided pairs."""
    result, splits, undecided = [], [], []
    cache: list = []

    def expr(p):
        if not cache:
            cache.append(symbolic())
        return cache[0][p]

    for members in classes:
        parts: list[list[int]] = []
        buckets: dict = {}
        for p in members:
            buckets.setdefault(evaluator.key(p), []).append(p)
        for bucket in buckets.values():
            sub: list[list[int]] = []
            for p in bucket:
                for part in sub:
                    if decide(expr(p), expr(part[0])):
                        part.append(p)
                        break
                    if evaluator.differ(p, part[0]) is None:
                        undecided.append((part[0], p))
                else:
                    sub.append([p])
            parts += sub
        result += parts
        for part in parts[1:]:
            witness = _witness(evaluator, parts[0][0], part[0])
            splits.append(witness)
            if witness.point is None and (parts[0][0], part[0]) not in undecided:
                undecided.append((parts[0][0], part[0]))
    return Classes.canonical(result), tuple(splits), tuple(undecided)


def _witness(evaluator, p: int, q: int) -> Split:
    """The split of ``p`` from ``q`` with a point proving it (if one was found)."""
    point = evaluator.differ(p, q)
    if point is None:
        return Split(p, q)
    return Split(p, q, point.exact, (evaluator.show(point.gradients[p]), evaluator.show(point.gradients[q])))
