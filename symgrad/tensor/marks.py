"""Gradients of structured parameters (``factored``): a ``Mark`` is a grid of row and
column labels, ZERO on some whole rows and columns, never one colour per entry;
``as_mark`` reads one from entries a flat rule made, ``sum_marks`` adds a
parameter's several uses."""

from dataclasses import dataclass, replace

import numpy as np

from ..base.errors import SymgradError
from ..maths.palette import ZERO
from . import kernels as K
from . import factored
from .factored import Grid, Matrix, constant_grid, table_grid


@dataclass(frozen=True, eq=False)
class Mark(Matrix):
    """A structured parameter's gradient: ``grid`` colours, but ZERO on the rows
    ``zero_rows`` and the columns ``zero_cols`` (None: none)."""
    shape: tuple
    grid: Grid
    zero_rows: np.ndarray | None = None
    zero_cols: np.ndarray | None = None

    @property
    def T(self):
        return Mark((self.shape[1], self.shape[0]), self.grid.T, self.zero_cols, self.zero_rows)

    def reshaped(self, shape):
        return replace(self, shape=tuple(shape))

    def is_zero(self) -> bool:
        return (self.grid.uniform == ZERO or (self.zero_rows is not None and self.zero_rows.all())
                or (self.zero_cols is not None and self.zero_cols.all())
                or (self.grid.table is not None and not (self.grid.table != ZERO).any()))

    def at(self, pal, i, j):
        i, j = np.broadcast_arrays(np.asarray(i, np.int64), np.asarray(j, np.int64))
        out = self.grid.at(pal, i, j)
        if self.zero_rows is not None:
            out[self.zero_rows[i]] = ZERO
        if self.zero_cols is not None:
            out[self.zero_cols[j]] = ZERO
        return out

    def moving(self):
        """The entries where the gradient is not provably zero, as rectangles (rows, cols)."""
        if self.is_zero():
            return []
        rows = np.ones(self.m, bool) if self.zero_rows is None else ~self.zero_rows
        cols = np.ones(self.n, bool) if self.zero_cols is None else ~self.zero_cols
        if self.grid.table is None:
            return [(rows, cols)]
        nz = self.grid.table != ZERO                      # [labels a, labels b]
        patterns, which = np.unique(nz, axis=0, return_inverse=True)
        which = which.reshape(-1)
        out = []
        for p in range(len(patterns)):
            r = rows & (which[self.grid.a] == p)
            c = cols & patterns[p][self.grid.b]
            if r.any() and c.any():
                out.append((r, c))
        return out

    def partly_zero(self) -> bool:
        """Zero on some entries and not on others."""
        if self.is_zero():
            return False
        moving = self.moving()
        return not (len(moving) == 1 and moving[0][0].all() and moving[0][1].all())

    def materialise(self, pal):
        out = self.at(pal, np.arange(self.m)[:, None], np.arange(self.n)[None, :])
        return out.reshape(self.shape)


def zero_mark(shape) -> Mark:
    return Mark(tuple(shape), constant_grid(ZERO))


def moving_blocks(nz):
    """The True entries of a bool matrix as blocks (rows, cols): one per distinct
    pattern of rows (packed to bits to find them).

    >>> [(r.tolist(), c.tolist()) for r, c in moving_blocks(np.array([[1, 0], [1, 0], [0, 0]], bool))]
    [([True, True, False], [True, False])]
    """
    live = nz.any(axis=1)
    if not live.any():
        return []
    packed = np.packbits(nz[live], axis=1)
    patterns, which = np.unique(packed, axis=0, return_inverse=True)
    rows = np.flatnonzero(live)
    out = []
    for p in range(len(patterns)):
        r = np.zeros(nz.shape[0], bool)
        r[rows[which.reshape(-1) == p]] = True
        out.append((r, np.unpackbits(patterns[p])[:nz.shape[1]].astype(bool)))
    return out


def as_mark(g, shape) -> Mark:
    """A gradient given entry by entry as a ``Mark``: a table over its distinct rows and
    columns (refused beyond ``TABLE_MAX`` cells).

    >>> m = as_mark(np.array([[0, 0], [3, 4], [3, 4]]), (3, 2))
    >>> m.zero_rows.tolist(), m.grid.table.tolist()
    ([True, False, False], [[3, 4]])
    """
    g = np.asarray(g, np.int64).reshape(shape[0] if shape else 1, -1)
    nz = g != ZERO
    if not nz.any():
        return zero_mark(shape)
    zr, zc = ~nz.any(axis=1), ~nz.any(axis=0)
    inner = g[~zr][:, ~zc]
    ua, a = np.unique(inner, axis=0, return_inverse=True)
    ub, b = np.unique(inner.T, axis=0, return_inverse=True)
    if len(ua) * len(ub) > factored.TABLE_MAX:
        raise SymgradError(f"a gradient with {len(ua):,} distinct rows and {len(ub):,} distinct columns")
    rows = np.zeros(g.shape[0], np.int64)
    cols = np.zeros(g.shape[1], np.int64)
    rows[~zr], cols[~zc] = a.reshape(-1), b.reshape(-1)
    table = ua[:, np.unique(b.reshape(-1), return_index=True)[1]]
    return Mark(tuple(shape), table_grid(rows, cols, table), zr if zr.any() else None, zc if zc.any() else None)


def sum_marks(pal, marks, shape) -> Mark:
    """The sum of a parameter's gradients from its several uses: pairs of the uses'
    labels where no use has zero rows or columns (exact but for the order of uses),
    else the sum entry by entry on a table."""
    marks = [m for m in marks if not m.is_zero()]
    if not marks:
        return zero_mark(shape)
    if len(marks) == 1:
        return marks[0]
    if any(m.partly_zero() or m.grid.table is not None for m in marks):
        entries = K.total(pal, [m.materialise(pal) for m in marks], shape)
        return zero_mark(shape) if entries is None else as_mark(entries, shape)
    marks = sorted(marks, key=lambda m: repr(m.grid.tag))
    a = b = None
    for m in marks:
        ma, mb = _grid_labels(pal, m.grid, m.m, m.n)
        a = ma if a is None else pal.intern_pair("sum-row", a, ma)
        b = mb if b is None else pal.intern_pair("sum-col", b, mb)
    tag = ("sum",) + tuple(repr(m.grid.tag) for m in marks)
    return Mark(tuple(shape), Grid(tag, a, b))


def _grid_labels(pal, grid, m, n):
    """Row and column labels that, paired, name a pair or uniform grid's colours exactly."""
    if grid.uniform is not None:
        return np.full(m, grid.uniform, np.int64), np.full(n, grid.uniform, np.int64)
    tag = pal.name(("grid-tag", grid.tag, grid.swap))
    a = pal.intern_pair("grid-row", np.full(m, tag), np.broadcast_to(grid.a, (m,)))
    return a, np.broadcast_to(np.asarray(grid.b, np.int64), (n,)).copy()
