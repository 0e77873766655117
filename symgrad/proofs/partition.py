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
            parts += _split_bucket(bucket, evaluator, expr, undecided)
        result += parts
        for part in parts[1:]:
            witness = _witness(evaluator, parts[0][0], part[0])
            splits.append(witness)
            if witness.point is None and (parts[0][0], part[0]) not in undecided:
                undecided.append((parts[0][0], part[0]))
    return Classes.canonical(result), tuple(splits), tuple(undecided)


def _split_bucket(bucket, evaluator, expr, undecided) -> list[list[int]]:
    """The parts of parameters whose gradients agreed at every sampled point:
    an identical expression joins its part at once; otherwise a part is tried
    by a point first (a proof of difference, and cheap) and then by canonical
    form; a pair neither settles is undecided."""
    if len(bucket) == 1:
        return [list(bucket)]
    sub: list[list[int]] = []
    same: dict = {}
    for p in bucket:
        if expr(p) in same:
            same[expr(p)].append(p)
            continue
        for part in sub:
            if evaluator.differ(p, part[0]) is not None:
                continue
            if decide(expr(p), expr(part[0])):
                part.append(p)
                break
            undecided.append((part[0], p))
        else:
            sub.append([p])
            same[expr(p)] = sub[-1]
    return sub


def _witness(evaluator, p: int, q: int) -> Split:
    """The split of ``p`` from ``q`` with a point proving it (if one was found)."""
    point = evaluator.differ(p, q)
    if point is None:
        return Split(p, q)
    return Split(p, q, point.exact, (evaluator.show(point.gradients[p]), evaluator.show(point.gradients[q])))
