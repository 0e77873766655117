"""One block of colours for many distinct constant values at once.

A round of lint starts by colouring every parameter entry as the constant of
its value: 59 million distinct values for GPT-2.  Interning them one by one in
the palette's table would cost a table entry each; a value block reserves
consecutive colours for them instead (the i-th value is ``base + i``), and the
palette looks later constants up in it before its table, so a graph constant
equal to a parameter's value still gets that value's colour.
"""

import numpy as np


def value_keys(values):
    """The exact keys of float values: their float64 bit patterns, -0.0 as 0.0 and
    one NaN for all.

    >>> value_keys(np.array([-0.0, 0.0])).tolist()
    [0, 0]
    """
    v = np.asarray(values, dtype=np.float64)
    if np.isnan(v).any() or np.signbit(v[v == 0]).any():
        v = np.where(np.isnan(v), np.nan, v + 0.0)
    return np.ascontiguousarray(v).view(np.uint64)


class ValueBlock:
    """Colours ``base + i`` for the distinct values ``values[i]``.

    >>> b = ValueBlock(np.array([0.5, -2.0]), 100)
    >>> b.find(value_keys(np.array([-2.0, 3.0, 0.5]))).tolist()
    [101, -1, 100]
    """

    def __init__(self, values, base):
        keys = value_keys(values)
        self.order = None
        if len(keys) > 1 and not (keys[1:] > keys[:-1]).all():
            self.order = np.argsort(keys, kind="stable")
            keys = keys[self.order]
        self.keys, self.base = keys, int(base)

    def find(self, keys):
        """The colour of each key (as ``value_keys`` makes them), or -1 when not in the block."""
        keys = np.asarray(keys, np.uint64)
        if not len(self.keys) or not len(keys):
            return np.full(len(keys), -1, np.int64)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        hit = self.keys[at] == keys
        where = at if self.order is None else self.order[at]
        return np.where(hit, self.base + where, -1)
