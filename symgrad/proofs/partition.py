"""Partitions of parameters, and splitting them by gradient.

A class splits where gradients differ.  Candidates are first bucketed by
their values at random points (``symgrad.proofs.witness``); within a bucket,
equality must be proven by canonical form (``symgrad.proofs.equality``), and across
buckets the difference is proven by a point.  A pair neither proven equal nor
proven different is *undecided* and kept apart (the sound choice for an
invariant).

>>> classes_by_value([1, 2, 1, 3])
((0, 2), (1,), (3,))
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

from .equality import decide
from .records import Classes, Split


def classes_by_value(values: Sequence[Hashable]) -> Classes:
    """Indices grouped by equal value, in order of first appearance."""
    groups: dict = {}
    for i, v in enumerate(values):
        groups.setdefault(v, []).append(i)
    return tuple(tuple(g) for g in groups.values())


def canonical(classes) -> Classes:
    """Classes sorted inside, and ordered by their first member."""
    return tuple(sorted(tuple(sorted(c)) for c in classes))


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
    return canonical(result), tuple(splits), tuple(undecided)


def _witness(evaluator, p: int, q: int) -> Split:
    """The split of ``p`` from ``q`` with a point proving it (if one was found)."""
    point = evaluator.differ(p, q)
    if point is None:
        return Split(p, q)
    return Split(p, q, point.exact, (evaluator.show(point.gradients[p]), evaluator.show(point.gradients[q])))
