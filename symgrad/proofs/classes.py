"""Classes of parameters: the one partition type of symgrad.

A ``Classes`` is a tuple of classes, each a tuple of parameter indices in
numbering order, ordered by their first member (a canonical form: two equal
partitions are equal tuples).  Giving every parameter its class's first
member is how a tie is substituted, in the proofs, the quotient network and
the assertions alike.

>>> import sympy as sp
>>> classes = Classes.by_value([1, 2, 1, 3])
>>> classes
((0, 2), (1,), (3,))
>>> classes.representatives(sp.symbols("w1:5"))
[w1, w2, w1, w4]
"""
from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from itertools import chain

import numpy as np


class Classes(tuple):
    """A partition of parameter indices (a tuple of sorted tuples, ordered by first member)."""

    __slots__ = ()

    @classmethod
    def by_value(cls, values: Sequence[Hashable]) -> Classes:
        """Indices grouped by equal value (in order of first appearance, which is canonical)."""
        first: dict = {}                                  # by identity first: one object repeated is cheap
        label = {i: first.setdefault(v, len(first)) for i, v in dict(zip(map(id, values), values)).items()}
        return cls.by_label(np.fromiter(map(label.__getitem__, map(id, values)), np.int64, len(values)))

    @classmethod
    def by_label(cls, labels: np.ndarray) -> Classes:
        """Indices grouped by equal integer label, ordered by first member, with
        no Python work per index beyond making the tuples.

        >>> Classes.by_label(np.array([7, 3, 7, 3, 5]))
        ((0, 2), (1, 3), (4,))
        """
        labels = np.asarray(labels, np.int64)
        if len(labels) == 0:
            return cls()
        if labels.min() == labels.max():
            return cls((tuple(range(len(labels))),))
        order = np.argsort(labels, kind="stable")            # by label, indices ascending within
        ordered = labels[order]
        starts = np.flatnonzero(np.concatenate([[True], ordered[1:] != ordered[:-1]]))
        ends = np.append(starts[1:], len(labels))
        by_first = np.argsort(order[starts], kind="stable")  # classes in order of their first member
        members = order.tolist()
        if len(starts) == len(labels):
            return cls(zip(members[i] for i in by_first.tolist()))
        return cls(map(tuple, map(members.__getitem__, map(slice, starts[by_first].tolist(), ends[by_first].tolist()))))

    @classmethod
    def canonical(cls, classes: Iterable[Iterable[int]]) -> Classes:
        """``classes`` sorted inside, and ordered by their first member.

        >>> Classes.canonical([[3, 1], [0]])
        ((0,), (1, 3))
        """
        return cls(sorted(tuple(sorted(c)) for c in classes))

    def representatives(self, parameters: Sequence) -> list:
        """For every parameter (by index), its class's first member from ``parameters``."""
        out = [None] * sum(map(len, self))
        for c in self:
            for p in c:
                out[p] = parameters[c[0]]
        return out

    def substitution(self, parameters: Sequence) -> dict:
        """Each parameter -> its class's first member (as a mapping of ``parameters``)."""
        return {parameters[p]: parameters[c[0]] for c in self for p in c}

    def colours(self) -> np.ndarray:
        """Each parameter's class number, by index (the initial colours of colour refinement).

        >>> Classes([(0, 2), (1,)]).colours().tolist()
        [0, 1, 0]
        """
        sizes = np.fromiter(map(len, self), np.int64, len(self))
        colour = np.zeros(int(sizes.sum()), np.int64)
        if len(self):
            colour[np.fromiter(chain.from_iterable(self), np.int64, len(colour))] = np.repeat(np.arange(len(self)), sizes)
        return colour

    def symbols(self, parameters: Sequence) -> list[tuple]:
        """The classes with ``parameters`` in place of indices."""
        return [tuple(parameters[p] for p in c) for c in self]

