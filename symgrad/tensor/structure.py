"""The fixpoint's state for structured parameters: classes by rows and columns.

A *family* is a set of structured parameters whose entries may share a class:
the copies of one random parameter (and it), or the parameters that start at one
constant.  A member's entry (i, j) is in the class of its row label ``R[i]`` and
column label ``C[j]`` (numbered family-wide): the pair itself (*pair mode*: a
class per label pair), or ``table[R[i], C[j]]`` (*table mode*, at most
``factored.TABLE_MAX`` cells).  Refining by gradient marks refines the labels,
row keys from row labels and column keys from column labels, and, in table
mode, the table cell by cell: exactly the flat fixpoint's split of classes by
(class, frozen, gradient colour), never one label per entry.

A member keeps the rectangles of rows x columns whose entries have thawed.  A
family whose classes are all single entries is settled for ties: only whether
a frozen entry may thaw is still asked.  A state the structure cannot express
within its bounds is refused with the parameter's name, never guessed.
"""

from dataclasses import dataclass, field

import numpy as np

from ..base.errors import SymgradError
from . import factored
from .factored import Fac, Grid, Matrix, constant_grid, dense_columns
from .marks import Mark, as_mark, moving_blocks
from .rules import ZEROS


@dataclass
class Member(Matrix):
    name: str
    shape: tuple
    family: tuple                 # ("random", root) or ("constant", value)
    R: np.ndarray                 # class labels of the rows (family-wide)
    C: np.ndarray                 # class labels of the columns
    trainable: bool
    thawed: list = field(default_factory=list)    # rectangles (rows, cols) of bool

    def signatures(self, along_rows):
        """Which thawed rectangles each row (or column) is in, as a bit mask."""
        sig = np.zeros(self.m if along_rows else self.n, np.int64)
        for k, (r, c) in enumerate(self.thawed):
            sig |= np.where(r if along_rows else c, np.int64(1) << k, 0)
        return sig

    def frozen_count(self) -> int:
        """Entries in no thawed rectangle (rows grouped by the rectangles they are in)."""
        if not self.thawed:
            return self.size
        codes, counts = np.unique(self.signatures(True), return_counts=True)
        covered = 0
        for code, count in zip(codes, counts):
            cols = np.zeros(self.n, bool)
            for k, (_, c) in enumerate(self.thawed):
                if int(code) >> k & 1:
                    cols |= c
            covered += int(count) * int(cols.sum())
        return self.size - covered

    def thaw(self, rows, cols) -> bool:
        """Add a thawed rectangle; whether an entry thawed that was frozen."""
        if not rows.any() or not cols.any():
            return False
        sig = self.signatures(True)[rows]
        for code in np.unique(sig):
            covered = np.zeros(self.n, bool)
            for k, (_, c) in enumerate(self.thawed):
                if int(code) >> k & 1:
                    covered |= c
            if (cols & ~covered).any():
                break
        else:
            return False                                                 # all thawed already
        self.thawed = _merged(self.thawed + [(rows.copy(), cols.copy())])
        if self.frozen_count() == 0:                                     # all thawed: one rectangle
            self.thawed = [(np.ones(self.m, bool), np.ones(self.n, bool))]
        if len(self.thawed) > factored.MAX_RECTANGLES:
            raise SymgradError(f"{self.name} {self.shape} cannot be kept structured: its thawed entries "
                               f"need more than {factored.MAX_RECTANGLES} blocks of rows and columns")
        return True

    def frozen_mask(self):
        """Frozen entries as a bool array shaped like the parameter (materialised)."""
        out = np.ones((self.m, self.n), bool)
        for r, c in self.thawed:
            out[np.ix_(r, c)] = False
        return out.reshape(self.shape)


def _merged(rects):
    """Rectangles with those inside another dropped, and pairs with equal rows (or
    equal columns) joined into one."""
    out = []
    for r, c in rects:
        for k, (r2, c2) in enumerate(out):
            if (r2 | ~r).all() and (c2 | ~c).all():
                break                                          # inside one already kept
            if (r == r2).all() or (c == c2).all() or ((r | ~r2).all() and (c | ~c2).all()):
                out[k] = (r | r2, c | c2)
                break
        else:
            out.append((r, c))
    return out if len(out) == len(rects) else _merged(out)


class Structured:
    """Every structured parameter's classes and frozen entries, round by round."""

    def __init__(self, shapes, starts, trainable):
        self.members = {}
        for name, start in starts.items():
            shape = tuple(shapes[name])
            m, n = int(shape[0]), int(np.prod(shape[1:], dtype=np.int64))
            if start.kind == "constant":
                family = ("constant", start.value)
                R, C = np.zeros(m, np.int64), np.zeros(n, np.int64)
            else:
                family = ("random", start.source or name)
                R, C = np.arange(m, dtype=np.int64), np.arange(n, dtype=np.int64)
            self.members[name] = Member(name, shape, family, R, C, bool(trainable[name]))
        self.tables = {}                                     # family -> class table (table mode)
        self.pal = None
        self.marks = {}
        self.any_thawed = False

    def families(self):
        out = {}
        for mem in self.members.values():
            out.setdefault(mem.family, []).append(mem)
        return out

    # --- classes ----------------------------------------------------------------
    def class_ids(self, fam, mem, rows=slice(None)):
        """The class of every entry of ``rows`` of ``mem`` ([rows, n]), numbered within the family."""
        R, C = mem.R[rows], mem.C
        table = self.tables.get(fam)
        if table is not None:
            return table[R[:, None], C[None, :]]
        width = int(max(int(m.C.max(initial=0)) for m in self.families()[fam])) + 1
        return R[:, None] * width + C[None, :]

    def class_span(self, fam):
        """An upper bound of the family's class numbers (for numbering apart)."""
        table = self.tables.get(fam)
        if table is not None:
            return int(table.max(initial=0)) + 1
        members = self.families()[fam]
        return (max(int(m.R.max(initial=0)) for m in members) + 1) * (max(int(m.C.max(initial=0)) for m in members) + 1)

    def class_count(self, fam, mem) -> int:
        table = self.tables.get(fam)
        if table is None:
            return len(np.unique(mem.R)) * len(np.unique(mem.C))
        return len(np.unique(table[np.ix_(np.unique(mem.R), np.unique(mem.C))]))

    def row_labels(self, fam, mem):
        """Labels of the rows: equal iff the rows' classes are equal."""
        table = self.tables.get(fam)
        if table is None:
            return mem.R
        ur, inv = np.unique(mem.R, return_inverse=True)
        rows = table[np.ix_(ur, np.unique(mem.C))]                 # each distinct row's classes
        return dense_columns(list(rows.T), len(ur))[inv.reshape(-1)]

    def col_labels(self, fam, mem):
        """Labels of the columns: equal iff the columns' classes are equal."""
        table = self.tables.get(fam)
        if table is None:
            return mem.C
        uc, inv = np.unique(mem.C, return_inverse=True)
        cols = table[np.ix_(np.unique(mem.R), uc)]
        return dense_columns(list(cols), len(uc))[inv.reshape(-1)]

    def shared(self, fam, a, b) -> int:
        """How many classes members ``a`` and ``b`` have in common."""
        table = self.tables.get(fam)
        if table is None:
            return np.intersect1d(a.R, b.R).size * np.intersect1d(a.C, b.C).size
        ca = table[np.ix_(np.unique(a.R), np.unique(a.C))]
        cb = table[np.ix_(np.unique(b.R), np.unique(b.C))]
        return np.intersect1d(ca, cb).size

    def singleton(self, fam, members) -> bool:
        """Whether every class of the family is one entry."""
        table = self.tables.get(fam)
        if table is None:
            for mem in members:
                if len(np.unique(mem.R)) < mem.m or len(np.unique(mem.C)) < mem.n:
                    return False
            for a in range(len(members)):
                for b in range(a + 1, len(members)):
                    if np.intersect1d(members[a].R, members[b].R).size and \
                            np.intersect1d(members[a].C, members[b].C).size:
                        return False
            return True
        counts = np.zeros(int(table.max(initial=0)) + 1, np.int64)
        for mem in members:
            ur, nr = np.unique(mem.R, return_counts=True)
            uc, nc = np.unique(mem.C, return_counts=True)
            np.add.at(counts, table[np.ix_(ur, uc)].ravel(), (nr[:, None] * nc[None, :]).ravel())
        return bool((counts <= 1).all())

    # --- a round ----------------------------------------------------------------
    def colours(self, pal) -> dict:
        """Each member as a ``Fac`` for this round's pass."""
        self.pal, self.marks, self.any_thawed = pal, {}, False
        out = {}
        for fam, members in self.families().items():
            live = self._live_grid(pal, fam, members)
            unique_start = fam[0] == "random" and len(members) == 1
            for mem in members:
                out[mem.name] = self._fac(pal, mem, fam, live, unique_start)
        return out

    def _live_grid(self, pal, fam, members):
        table = self.tables.get(fam)
        if table is None:
            return Grid(("class", fam), None, None)
        base = pal.count
        pal._grow(int(table.max(initial=0)) + 1)                  # one fresh colour per class
        return Grid(None, None, None, table=np.where(table >= 0, table + base, 0))

    def _fac(self, pal, mem, fam, live, unique_start):
        if fam[0] == "constant":
            start = constant_grid(pal.const(np.array([fam[1]]))[0])
        else:
            start = Grid(("start", fam[1]), np.arange(mem.m, dtype=np.int64), np.arange(mem.n, dtype=np.int64))
        if not mem.thawed or unique_start:            # a random start names every entry once
            return Fac(mem.shape, start, owner=mem.name)
        grid = Grid(live.tag, mem.R, mem.C, table=live.table)
        rects = tuple((None if r.all() else r, None if c.all() else c) for r, c in mem.thawed)
        return Fac(mem.shape, start, grid, rects, mem.name)

    def asks(self) -> dict:
        """What to ask of each trainable member: True (gradient colours: its family
        still has shared classes), ``ZEROS`` (only where it may thaw), or nothing."""
        out = {}
        for fam, members in self.families().items():
            single = self.singleton(fam, members)
            for mem in members:
                if not mem.trainable:
                    continue
                if not single:
                    out[mem.name] = True
                elif mem.frozen_count():
                    out[mem.name] = ZEROS
        return out

    def take(self, name, g, ask):
        """One member's gradient (a ``Mark``, or entries from a flat rule)."""
        mem = self.members[name]
        if ask is ZEROS and not isinstance(g, Mark):         # only where it may thaw: its zeros
            if mem.trainable:
                nz = (np.asarray(g) != 0).reshape(mem.m, mem.n)
                for rows, cols in moving_blocks(nz):
                    self.any_thawed |= mem.thaw(rows, cols)
            return
        if not isinstance(g, Mark):
            g = np.asarray(g)
            try:
                g = as_mark(g.astype(np.int64) if g.dtype == bool else g, mem.shape)
            except SymgradError as e:
                raise SymgradError(f"{mem.name} {mem.shape} cannot be kept structured: {e}") from None
        if mem.trainable:
            for rows, cols in g.moving():
                self.any_thawed |= mem.thaw(rows, cols)
        if ask is not ZEROS:
            self.marks[name] = g

    def finish(self):
        """Refine the labels of every family asked for colours; how many classes
        are new, and whether an entry thawed."""
        more = 0
        for fam, members in self.families().items():
            if any(m.name in self.marks for m in members):
                more += self._refine(fam, members)
        return more, self.any_thawed

    # --- refining a family --------------------------------------------------------
    def _refine(self, fam, members) -> int:
        kinds = [self._mark_kind(mem) for mem in members]
        rows = [self._keys(mem, kind, True) for mem, kind in zip(members, kinds)]
        cols = [self._keys(mem, kind, False) for mem, kind in zip(members, kinds)]
        new_r, new_c = _dense(np.concatenate(rows)), _dense(np.concatenate(cols))
        old = [(mem.R, mem.C) for mem in members]
        o = p = 0
        for mem in members:
            mem.R, mem.C = new_r[o:o + mem.m], new_c[p:p + mem.n]
            o, p = o + mem.m, p + mem.n
        if self.tables.get(fam) is None and all(self._pair_mode(mem, kind) for mem, kind in zip(members, kinds)):
            more = _splits(np.concatenate([r for r, _ in old]), new_r) + _splits(np.concatenate([c for _, c in old]), new_c)
            return more
        return self._refine_table(fam, members, old)

    def _mark_kind(self, mem):
        mark = self.marks.get(mem.name)
        if mark is None:
            return "none"
        g = mark.grid
        if g.uniform is not None:
            return ("uniform", g.uniform)
        return ("table", id(mark)) if g.table is not None else ("pair", repr(g.tag), g.swap)

    def _pair_mode(self, mem, kind) -> bool:
        """Whether pairs of the new labels are exactly the new classes: the member wholly
        frozen or wholly thawed, its mark a pair grid (or one colour) with no zero rows
        or columns."""
        whole = not mem.thawed or mem.frozen_count() == 0
        mark = self.marks.get(mem.name)
        return whole and (mark is None or not mem.thawed or
                          (mark.grid.table is None and (mark.is_zero() or not mark.partly_zero())))

    def _keys(self, mem, kind, along_rows):
        """Row (or column) keys: old label, thawed rectangles, the mark's kind and label."""
        size = mem.m if along_rows else mem.n
        mark = self.marks.get(mem.name)
        tag = self.pal.name(("mark", kind if mem.thawed else "frozen"))
        lab = np.zeros(size, np.int64)
        zero = np.zeros(size, np.int64)
        if mark is not None and mem.thawed and mark.grid.uniform is None:
            lab = np.broadcast_to(np.asarray(mark.grid.a if along_rows else mark.grid.b, np.int64), (size,))
        if mark is not None:
            z = mark.zero_rows if along_rows else mark.zero_cols
            zero = zero if z is None else z.astype(np.int64)
        old = mem.R if along_rows else mem.C
        return np.stack([old, mem.signatures(along_rows), np.full(size, tag), lab, zero], axis=1)

    def _refine_table(self, fam, members, old) -> int:
        """New classes cell by cell over the new labels: (old class, frozen, gradient colour)."""
        nr = int(max(int(m.R.max(initial=0)) for m in members)) + 1
        nc = int(max(int(m.C.max(initial=0)) for m in members)) + 1
        if nr * nc > factored.TABLE_MAX:
            raise SymgradError(f"{', '.join(m.name for m in members[:3])}: the classes of these parameters need a "
                               f"table of {nr:,} x {nc:,} cells to be kept by rows and columns (more than "
                               f"{factored.TABLE_MAX:,})")
        table = self.tables.get(fam)
        width = max(int(c.max(initial=0)) for _, c in old) + 1
        keys, cells = [], []
        for mem, (R0, C0) in zip(members, old):
            ur, ri = np.unique(mem.R, return_index=True)
            uc, ci = np.unique(mem.C, return_index=True)
            before = table[R0[ri][:, None], C0[ci][None, :]] if table is not None else \
                R0[ri][:, None] * width + C0[ci][None, :]
            frozen = (mem.signatures(True)[ri][:, None] & mem.signatures(False)[ci][None, :]) == 0
            mark = self.marks.get(mem.name)
            colour = mark.at(self.pal, ri[:, None], ci[None, :]) if mark is not None else np.full(frozen.shape, -2)
            colour = np.where(frozen, -1, colour)                  # the gradient's own colour: exact
            keys.append(np.stack([before.ravel(), frozen.ravel().astype(np.int64), colour.ravel()], axis=1))
            cells.append((ur, uc, before))
        ids = _dense(np.concatenate(keys))
        new = np.full((nr, nc), -1, np.int64)
        o, pairs = 0, []
        for (ur, uc, before) in cells:
            k = len(ur) * len(uc)
            new[np.ix_(ur, uc)] = ids[o:o + k].reshape(len(ur), len(uc))
            pairs.append(np.stack([before.ravel(), ids[o:o + k]], axis=1))
            o += k
        both = np.unique(np.concatenate(pairs), axis=0)
        more = len(both) - len(np.unique(both[:, 0]))
        used = new[new >= 0]
        self.tables[fam] = None if len(np.unique(used)) == len(used) else new
        return more


def _dense(rows):
    return np.unique(rows, axis=0, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _splits(old, new) -> int:
    """How many more classes ``new`` has than ``old`` (it refines it)."""
    return len(np.unique(new)) - len(np.unique(old))
