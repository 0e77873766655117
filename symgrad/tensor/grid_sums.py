"""The sum of two gradients that are each a grid (a tied embedding's lookup and head),
named by its rows and columns rather than entry by entry."""

import numpy as np

from ..maths.palette import ZERO


def grid_sum(pal, a, b):
    """``a + b`` for two 2-D colour arrays that are each a grid, ``x[i, j] = x[i, 0] +
    x[0, j] - x[0, 0]`` (as ``Palette.grid`` names the products of a row and a column),
    with no zero term: the sum at (i, j) is fixed by the first column's and first row's
    colours of both and their corners, so it is named by a grid over those (row pairs;
    column pairs with the corners, so that a name made by another call means the same
    entries), in O(rows + columns) names instead of one per entry (a tied embedding's
    38M-entry gradient).  Equal names are equal sums; an equal sum made some other way
    is named apart (finer, never coarser).  None if either array is not such a grid.

    >>> from symgrad.maths.palette import Palette
    >>> pal = Palette()
    >>> a = pal.grid("p", np.array([5, 6, 5]), np.array([7, 8]))
    >>> b = pal.grid("q", np.array([9, 9, 9]), np.array([3, 4]))
    >>> s = grid_sum(pal, a, b)
    >>> bool((s[0] == s[2]).all()), bool(s[0, 0] != s[1, 0] != s[0, 1])
    (True, True)
    >>> grid_sum(pal, a, np.array([[2, 3], [3, 2], [4, 4]])) is None
    True
    """
    if a.ndim != 2 or a.shape != b.shape or not a.size or not (_is_grid(a) and _is_grid(b)):
        return None
    rows = pal.intern_pair("sum-rows", a[:, 0], b[:, 0])
    corners = np.broadcast_to([a[0, 0], b[0, 0]], (a.shape[1], 2))   # with the first column: every entry
    cols = pal.intern("sum-columns", np.column_stack([a[0, :], b[0, :], corners]))
    return pal.grid("sum", rows, cols)


def _is_grid(x):
    """Whether ``x[i, j] = x[i, 0] + x[0, j] - x[0, 0]`` everywhere (checked a block of rows
    at a time), no entry is ZERO, and distinct (first column, first row) pairs are distinct
    entries, as in a grid the palette made (or its transpose): the first column's distinct
    colours lie further apart than the first row's spread, or the other way round
    (colours that merely count up, such as constants in value order, are not a grid).

    >>> _is_grid(np.array([[10, 11], [20, 21]])), _is_grid(np.array([[10, 20], [11, 21]]))
    (True, True)
    >>> _is_grid(np.array([[10, 11], [11, 12]]))
    False
    """
    if not (_spread_apart(x[:, 0], x[0]) or _spread_apart(x[0], x[:, 0])):
        return False
    step = max(1, (1 << 22) // max(x.shape[1], 1))
    offsets = x[0, :] - x[0, 0]
    for i in range(0, x.shape[0], step):
        part = x[i:i + step]
        if not (part == part[:, :1] + offsets).all() or (part == ZERO).any():
            return False
    return True


def _spread_apart(first, second):
    """Whether the distinct values of ``first`` lie further apart than ``second`` spreads
    (so ``first[i] + second[j]`` tells both apart)."""
    first = np.unique(first)
    return len(first) < 2 or int(np.diff(first).min()) > int(second.max() - second.min())
