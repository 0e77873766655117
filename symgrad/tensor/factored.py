"""Colours of large parameters kept per row and column, never one per entry.

A parameter of 7 billion entries cannot carry one colour each (28 GB as int32).
When its start is stated (random, a constant, a copy) rather than read, its
colours have structure: the parameter is a matrix (rows along its first axis,
columns over the rest) and each entry's colour is a function of a row label and
a column label, a ``Grid``:

* a *pair grid* names entry (i, j) ``pair(tag, a[i], b[j])`` with the palette's
  own exact pair naming (``Palette.intern_pair``): equal colours iff equal
  labels, and nothing is materialised to be named;
* a *table grid* reads it from a table over the labels, ``table[a[i], b[j]]``
  (bounded by ``TABLE_MAX`` cells): any colouring with few distinct rows and
  columns, exactly;
* a *uniform grid* is one colour.

A ``Fac`` is a structured parameter in a pass: its start grid (one symbol per
entry for a random start, shared by its copies; or one constant), and a live
grid (its classes) on the union of some rectangles of rows x columns, the
entries that have thawed.  A parameter's gradient comes back as a ``Mark``: a
grid, ZERO on some whole rows and columns.

Thresholds (module constants): parameters of at least ``STRUCTURE_MIN`` entries
are structured; a rule may materialise a structured operand of at most
``DIRECT_MAX`` entries (exact, named as the flat rules name it), and nothing of
more than ``MATERIALISE_MAX`` entries is ever materialised.
"""

from dataclasses import dataclass, replace

import numpy as np

from ..base.errors import SymgradError
from ..maths.palette import ZERO
from . import kernels as K

STRUCTURE_MIN = 1 << 20        # entries from which a stated start is kept structured
DIRECT_MAX = 1 << 16           # entries up to which a rule materialises a structured operand
MATERIALISE_MAX = 1 << 26      # entries beyond which nothing structured is ever materialised
TABLE_MAX = 1 << 24            # cells of a table grid
MAX_RECTANGLES = 62            # rectangles of thawed entries one parameter may have


@dataclass(frozen=True, eq=False)
class Grid:
    """Entry (i, j) is ``uniform``, or ``table[a[i], b[j]]``, or ``pair(tag, a[i], b[j])``
    (``pair(tag, b[j], a[i])`` when ``swap``)."""
    tag: object
    a: np.ndarray
    b: np.ndarray
    swap: bool = False
    uniform: int | None = None
    table: np.ndarray | None = None

    @property
    def T(self):
        return replace(self, a=self.b, b=self.a, swap=not self.swap,
                       table=None if self.table is None else np.ascontiguousarray(self.table.T))

    def at(self, pal, i, j):
        """Colours at the (broadcast) row and column indices ``i``, ``j``."""
        i, j = np.broadcast_arrays(np.asarray(i, np.int64), np.asarray(j, np.int64))
        if self.uniform is not None:
            return np.full(i.shape, self.uniform, np.int64)
        if self.table is not None:
            return self.table[self.a[i], self.b[j]].astype(np.int64)
        first, second = (self.b[j], self.a[i]) if self.swap else (self.a[i], self.b[j])
        return pal.intern_pair(self.tag, first, second).reshape(i.shape)

    def labels(self, along_rows: bool, size: int):
        """The labels along one axis (None for a uniform grid)."""
        if self.uniform is not None:
            return None
        return np.broadcast_to(np.asarray(self.a if along_rows else self.b, np.int64), (size,))

    def distinct(self, rows, cols) -> bool:
        """Whether the nonzero colours at rows x cols (bool masks) are one per entry."""
        if int(rows.sum()) * int(cols.sum()) <= 1:
            return True
        if self.uniform is not None:
            return self.uniform == ZERO
        a, b = self.a[rows], self.b[cols]
        if len(np.unique(a)) < len(a) or len(np.unique(b)) < len(b):
            return False
        if self.table is None:
            return True
        cells = self.table[np.ix_(a, b)].ravel()
        cells = cells[cells != ZERO]
        return len(np.unique(cells)) == len(cells)


def constant_grid(colour) -> Grid:
    return Grid(None, np.zeros(0, np.int64), np.zeros(0, np.int64), uniform=int(colour))


def table_grid(a, b, table) -> Grid:
    """A table grid, or a uniform one when the table holds one colour."""
    if table.size and (table == table.flat[0]).all():
        return constant_grid(int(table.flat[0]))
    return Grid(None, np.asarray(a, np.int64), np.asarray(b, np.int64), table=np.asarray(table, np.int64))


def _every(mask, size):
    return np.ones(size, bool) if mask is None else mask


class Matrix:
    """A tensor seen as a matrix: rows along its first axis, columns over the rest."""

    @property
    def m(self):
        return int(self.shape[0]) if self.shape else 1

    @property
    def n(self):
        return int(np.prod(self.shape[1:], dtype=np.int64)) if len(self.shape) > 1 else 1

    @property
    def size(self):
        return self.m * self.n


@dataclass(frozen=True, eq=False)
class Fac(Matrix):
    """A structured parameter (or a 2-D view of one) in a pass: ``live`` colours the
    entries in the union of ``rects`` ((rows, cols) bool masks, None: every row or
    column), ``start`` every other entry."""
    shape: tuple
    start: Grid
    live: Grid | None = None
    rects: tuple = ()
    owner: str = ""                 # the parameter's path, for messages
    transposed: bool = False

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def T(self):
        """The transpose of a 2-D structured tensor."""
        if self.ndim != 2:
            raise SymgradError(f"internal: transpose of a {self.ndim}-d structured tensor")
        live = self.live.T if self.live is not None else None
        return Fac((self.shape[1], self.shape[0]), self.start.T, live, tuple((c, r) for r, c in self.rects),
                   self.owner, not self.transposed)

    def reshaped(self, shape):
        """The same entries under ``shape`` (the first axis kept): still structured."""
        return replace(self, shape=tuple(shape))

    # --- entries ------------------------------------------------------------
    def _rects(self):
        return [(_every(r, self.m), _every(c, self.n)) for r, c in self.rects] if self.live is not None else []

    def inside(self, i, j):
        """Whether entries (i, j) are live."""
        out = np.zeros(np.broadcast(i, j).shape, bool)
        for r, c in self._rects():
            out |= r[i] & c[j]
        return out

    def at(self, pal, i, j):
        """Colours at the (broadcast) row and column indices."""
        i, j = np.broadcast_arrays(np.asarray(i, np.int64), np.asarray(j, np.int64))
        out = self.start.at(pal, i, j)
        if self.rects and self.live is not None:
            live = self.inside(i, j)
            if live.any():
                out[live] = self.live.at(pal, i[live], j[live])
        return out

    def materialise(self, pal, why=""):
        """Every entry's colour, shaped like the tensor (refused beyond ``MATERIALISE_MAX``)."""
        if self.size > MATERIALISE_MAX:
            raise cannot_keep(self, why or "an op that needs every entry")
        out = self.at(pal, np.arange(self.m)[:, None], np.arange(self.n)[None, :])
        return out.reshape(self.shape)

    def uniform(self):
        """The one colour of every entry, or None."""
        rects = self._rects()
        if not rects:
            return self.start.uniform
        if any(r.all() and c.all() for r, c in rects):
            return self.live.uniform
        return None

    # --- structure ------------------------------------------------------------
    def _signatures(self, along_rows):
        """Which rectangles each row (or column) is in, as a bit mask."""
        size = self.m if along_rows else self.n
        sig = np.zeros(size, np.int64)
        for k, (r, c) in enumerate(self._rects()):
            sig |= np.where(r if along_rows else c, np.int64(1) << k, 0)
        return sig

    def part_keys(self, along_rows: bool):
        """Columns of labels whose rows are equal only if the tensor's rows (or columns)
        are: which rectangles a row is in, its live label, its start label."""
        size = self.m if along_rows else self.n
        sig = self._signatures(along_rows)
        parts = [sig] if self.rects else []
        if self.rects and self.live is not None:
            lab = self.live.labels(along_rows, size)
            if lab is not None:
                parts.append(np.where(sig != 0, lab, -1))
        lab = self.start.labels(along_rows, size)
        if lab is not None:
            parts.append(lab)
        return parts

    def row_keys(self):
        """Dense labels of the rows: equal labels only for equal rows of colours.

        >>> f = Fac((3, 2), Grid("s", np.array([0, 1, 0]), np.array([5, 6])))
        >>> f.row_keys().tolist()
        [0, 1, 0]
        """
        return dense_columns(self.part_keys(True), self.m)

    def nonzero_distinct(self) -> bool:
        """Whether every nonzero colour occurs in one entry only."""
        rects = self._rects()
        if not rects:
            return self.start.distinct(np.ones(self.m, bool), np.ones(self.n, bool))
        if len(rects) > 1 or self.live is None:
            return False
        r, c = rects[0]
        if not self.live.distinct(r, c):
            return False
        if r.all() and c.all():
            return True
        if self.start.uniform is not None:
            return self.start.uniform == ZERO
        return self.start.distinct(np.ones(self.m, bool), np.ones(self.n, bool))

    def row_supports(self):
        """(support id of every row, the supports as bool column masks): the columns
        where a row's colours are not ZERO (only a start of the constant 0 is ZERO:
        class colours never are)."""
        if self.start.uniform != ZERO:
            return np.zeros(self.m, np.int64), [np.ones(self.n, bool)]
        rects = self._rects()
        codes, which = np.unique(self._signatures(True), return_inverse=True)
        masks = []
        for code in codes:
            live = np.zeros(self.n, bool)
            for k, (_, c) in enumerate(rects):
                if int(code) >> k & 1:
                    live |= c
            masks.append(live)
        return which.reshape(-1).astype(np.int64), masks


def dense_columns(parts, size):
    """Dense ids of the rows of the stacked label columns (0 for every row if none)."""
    if not parts:
        return np.zeros(size, np.int64)
    stacked = np.stack([np.asarray(p, np.int64) for p in parts], axis=1)
    return np.unique(stacked, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def cannot_keep(fac, why):
    return SymgradError(f"{fac.owner or 'a structured parameter'} {tuple(fac.shape)} cannot be kept "
                        f"structured: {why}; lint keeps large parameters of a stated start by rows and "
                        f"columns, and this needs one colour per entry ({fac.size:,} entries)")


# --- marks: gradients of structured parameters ------------------------------------
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
    if len(ua) * len(ub) > TABLE_MAX:
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
