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

import numpy as np


class Classes(tuple):
    """A partition of parameter indices (a tuple of sorted tuples, ordered by first member)."""

    __slots__ = ()

    @classmethod
    def by_value(cls, values: Sequence[Hashable]) -> Classes:
        """Indices grouped by equal value (in order of first appearance, which is canonical)."""
        groups: dict = {}
        for i, v in enumerate(values):
            groups.setdefault(v, []).append(i)
        return cls(tuple(g) for g in groups.values())

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
        colour = np.zeros(sum(map(len, self)), np.int64)
        for k, c in enumerate(self):
            colour[list(c)] = k
        return colour

    def symbols(self, parameters: Sequence) -> list[tuple]:
        """The classes with ``parameters`` in place of indices."""
        return [tuple(parameters[p] for p in c) for c in self]
