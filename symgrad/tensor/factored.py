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
grid, ZERO on some whole rows and columns (``symgrad.tensor.marks``).

Thresholds (module constants): parameters of at least ``STRUCTURE_MIN`` entries
are structured; a rule may materialise a structured operand of at most
``DIRECT_MAX`` entries (exact, named as the flat rules name it), and nothing of
more than ``MATERIALISE_MAX`` entries is ever materialised.
"""

from dataclasses import dataclass, replace

import numpy as np

from ..base.errors import SymgradError
from ..maths.palette import ZERO

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
