"""Colours: exact interning of signatures into small integer ids (hash, then verify).

A colour names a value (or a delta) up to proven equality: two elements
with the same colour are equal as functions of the parameters (under the
current tie hypothesis) and of every input.  Colours may be finer than the
truth, never coarser.  A signature is a tag and a row of int64 colours; a
multiset is the sorted row.

Narrow rows (one entry, or two entries below 2**31) are packed into one
int64 and keyed by a bijective 64-bit mix of it: exact, nothing to verify.
Wider rows are hashed (a multiply-add over the row, then mixed), grouped by
hash, and then compared entry by entry with the representative of their
group, inside a batch and against everything interned before: a hash
collision can only ever give a fresh colour, never a false tie.

A table (``symgrad.maths.tables``) is a few sorted runs of unique keys; a
batch is sorted once (index packed under the key bits, so a plain sort is
the argsort), looked up in the runs that may hold it and appended as a new
run.  Products of two row colours (``grid``, ``symgrad.maths.grids``) are
named without a table entry per element: a grid reserves a block of ids for
all pairs of its row colours, and a pair already named by an earlier grid of
the same tag keeps its earlier name.  Many distinct constants at once (a
round's initial values) take a block of consecutive colours
(``value_block``, ``symgrad.maths.valueblock``).

Reserved: ``ZERO`` is the constant 0 (exactly zero), ``ONE`` the constant 1.
"""

import zlib

import numpy as np

from ..base.errors import SymgradError
from .grids import Grids
from .keys import COLOUR_LIMIT, argsort_u64, mix, run_numbers
from .tables import Table, increasing, newest_colours, scatter
from .valueblock import ValueBlock, value_keys

ZERO = 0
ONE = 1
_KEY_ZERO = np.float64(0.0).view(np.uint64)
_KEY_ONE = np.float64(1.0).view(np.uint64)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_U = np.uint64


def _salt(tag):
    return _U(zlib.crc32(repr(tag).encode()))


_MULT = np.zeros(0, np.uint64)


def _multipliers(k):
    global _MULT
    if len(_MULT) < k:
        rng = np.random.default_rng(12345)
        _MULT = rng.integers(0, 2 ** 63, size=max(k, 2 * len(_MULT)), dtype=np.uint64) * _U(2) + _U(1)
    return _MULT[:k]


def row_hash(tag, rows):
    """64-bit hash of each row of ``rows`` ([n, K] int64), salted by tag and position:
    a multiply-add with odd random multipliers (one integer matmul), then mixed."""
    n, k = rows.shape
    r = _multipliers(k)
    u = rows.view(np.uint64) if rows.dtype == np.int64 else rows.astype(np.int64).view(np.uint64)
    with np.errstate(over="ignore"):
        if not u.flags.c_contiguous and u.T.flags.c_contiguous:
            h = r @ u.T
        else:
            h = np.ascontiguousarray(u) @ r
        return mix(h + mix(_salt(tag) + _U(k)))


def pack(rows):
    """Rows of one entry, or of two entries in [0, 2**31), as one exact int64 key; else None."""
    n, k = rows.shape
    if k == 1:
        return rows[:, 0]
    if k == 2 and n and rows.min() >= 0 and rows.max() <= COLOUR_LIMIT:
        return (rows[:, 0] << 31) | rows[:, 1]
    if k == 2 and not n:
        return rows[:, 0]
    return None


class Palette:
    """An interner of colours for one round of refinement.

    >>> p = Palette()
    >>> a = p.intern("f", np.array([[5, 7], [5, 7], [7, 5]]))
    >>> bool(a[0] == a[1]), bool(a[0] == a[2])
    (True, False)
    >>> int(p.const(np.array([-0.0]))[0]) == ZERO
    True
    """

    def __init__(self):
        self.count = 0
        self.tables = {}
        self.grids = Grids()
        self.names = {}
        self.block = None
        self.collisions = 0
        self.general = 0            # entries of multiset rows interned by general products
        self.ordered = 0            # products named by their ordered rows (kernels.GENERAL_BUDGET)
        assert self.const(np.array([0.0]))[0] == ZERO
        assert self.const(np.array([1.0]))[0] == ONE

    def name(self, key):
        """One exact colour for a hashable ``key`` (the same key, the same colour).

        >>> p = Palette()
        >>> p.name(("a", 1)) == p.name(("a", 1)) != p.name(("a", 2))
        True
        """
        found = self.names.get(key)
        if found is None:
            found = self.names[key] = self.count
            self._grow(1)
        return found

    def fresh(self, shape):
        """Brand-new colours, one per element (generic inputs, dropout masks)."""
        n = int(np.prod(shape, dtype=np.int64))
        out = np.arange(self.count, self.count + n, dtype=np.int64).reshape(shape)
        self._grow(n)
        return out

    def _grow(self, n):
        self.count += n
        if self.count > COLOUR_LIMIT:
            raise SymgradError(f"more than {COLOUR_LIMIT} distinct colours: model too large for lint")

    def const(self, values):
        """Colours of constants, by value: bitwise-equal floats share one (-0.0 == 0.0);
        a value of the value block (``value_block``) has its colour there."""
        shape = np.shape(values)
        keys = value_keys(values).ravel()
        if self.block is None:
            return self.intern("const", keys.view(np.int64).reshape(-1, 1)).reshape(shape)
        out = self.block.find(keys)
        out[(keys == _KEY_ZERO) | (keys == _KEY_ONE)] = -1        # 0 and 1 are ZERO and ONE, always
        missing = out < 0
        if missing.any():
            out[missing] = self.intern("const", keys[missing].view(np.int64).reshape(-1, 1))
        return out.reshape(shape)

    def value_block(self, values):
        """Reserve consecutive colours for the distinct ``values`` (the i-th: the returned
        base + i) and name every later constant of one of these values by them (but 0 and
        1, which stay ZERO and ONE): ``symgrad.maths.valueblock``."""
        base = self.count
        self._grow(len(values))
        self.block = ValueBlock(values, base)
        return base

    def intern(self, tag, rows):
        """Exact ids for the rows ([n, K] int64) under ``tag``: equal ids iff equal rows."""
        rows = np.asarray(rows, dtype=np.int64)
        n, k = rows.shape
        if n == 0:
            return np.zeros(0, np.int64)
        packed = pack(rows)
        if packed is not None:
            return self._intern_keys(tag, k, packed)
        return self._intern_rows(tag, rows)

    def intern_pair(self, tag, first, second):
        """``intern(tag, rows)`` for the rows ``(first[i], second[i])``, without building them.

        >>> p = Palette()
        >>> bool((p.intern_pair("f", np.array([5, 7]), np.array([7, 5])) == p.intern("f", np.array([[5, 7], [7, 5]]))).all())
        True
        """
        first, second = (np.asarray(x, np.int64).ravel() for x in (first, second))
        if len(first) and min(first.min(), second.min()) >= 0 and max(first.max(), second.max()) <= COLOUR_LIMIT:
            packed = first << 31                             # as ``pack`` packs two entries
            packed |= second
            return self._intern_keys(tag, 2, packed)
        return self.intern(tag, np.stack([first, second], axis=1))

    # --- exact keys ---------------------------------------------------------------
    def _intern_keys(self, tag, k, packed):
        table = self.tables.get((tag, k))
        if table is None:
            table = self.tables[(tag, k)] = Table(False)
        # a bijection of the packed row: exact (constants by their bits, kept in order)
        keys = packed.view(np.uint64) if tag == "const" else mix(packed.view(np.uint64))
        newest = newest_colours(tag, k, packed)
        if increasing(keys):                                # sorted already (a table's distinct values)
            order, starts, distinct, uk = None, None, True, keys
        else:
            order, sk = argsort_u64(keys)
            starts = np.concatenate([[True], sk[1:] != sk[:-1]])
            distinct = bool(starts.all())                    # common for large batches: no grouping
            uk = sk if distinct else sk[starts]
            del sk
            newest = newest[order] if distinct else newest[order[starts]]
        ids, _, _ = table.find(uk, newest)
        new = ids < 0
        m = int(new.sum())
        if m == len(uk):                                     # all new: consecutive ids in key order
            ids = self.count
        elif m:
            ids[new] = np.arange(self.count, self.count + m, dtype=np.int64)
        if m:
            added = uk[new] if m < len(uk) else uk if order is not None else uk.copy()   # never the caller's array
            table.add(added, self.count, int(newest[new].max()) + 1 if m < len(uk) else int(newest.max()) + 1)
            self._grow(m)
        if order is None:                                    # in order: the ids as they are
            return np.arange(ids, ids + len(keys), dtype=np.int64) if isinstance(ids, int) else ids
        return scatter(order, ids, None if distinct else run_numbers(starts))

    # --- hashed rows --------------------------------------------------------------
    def _intern_rows(self, tag, rows):
        n, k = rows.shape
        table = self.tables.get((tag, k))
        if table is None:
            table = self.tables[(tag, k)] = Table(True)
        h = np.asarray(row_hash(tag, rows), dtype=np.uint64)
        order, sk = argsort_u64(h)
        starts = np.concatenate([[True], sk[1:] != sk[:-1]])
        gid = run_numbers(starts)
        firsts = order[starts]                               # representative row of each hash
        member = np.flatnonzero(~starts)                     # later members: verify vs representative
        slow = np.zeros(0, np.int64)
        if len(member):
            rep = firsts[gid[member]]
            same = (rows[order[member]] == rows[rep]).all(axis=1)
            slow = order[member[~same]]
        uk = sk[starts]
        newest = rows[firsts].max(axis=1)
        ids, run, pos = table.find(uk, newest)
        hit = ids >= 0
        if hit.any():
            hi = np.flatnonzero(hit)
            ok = (table.rows_at(run[hi], pos[hi], k) == rows[firsts[hi]]).all(axis=1)
            bad = hi[~ok]
            ids[bad] = -1
            clash = np.zeros(len(uk), bool)
            clash[bad] = True
        else:
            clash = np.zeros(len(uk), bool)
        out = np.full(n, -1, np.int64)
        new = (ids < 0) & ~clash
        m = int(new.sum())
        if m:
            ids[new] = np.arange(self.count, self.count + m, dtype=np.int64)
            self._grow(m)
            limit = int(newest[new].max()) + 1
            if 2 * m < n:                                    # keep few rows by copy, many by reference
                table.add(uk[new], ids[new], limit, rows[firsts[new]], np.arange(m))
            else:
                table.add(uk[new], ids[new], limit, rows, firsts[new])
        out[order] = ids[gid]
        exact = slow
        if clash.any():                                      # a clashing group: every member
            exact = np.concatenate([slow, order[np.isin(gid, np.flatnonzero(clash))]])
        for i in np.unique(exact):                           # hash collisions only: exact dict
            self.collisions += 1
            key = rows[i].tobytes()
            if key not in table.overflow:
                table.overflow[key] = self.count
                self._grow(1)
            out[i] = table.overflow[key]
        return out

    # --- products of row colours -----------------------------------------------------
    def grid(self, tag, ra, rb):
        """Ids of the pairs (ra[..., i], rb[..., j]) -> [..., I, J] (leading axes batch the
        pairing): equal ids iff equal pairs, consistent with every earlier grid of ``tag``
        (``symgrad.maths.grids``)."""
        return self.grids.name(self, tag, ra, rb)
