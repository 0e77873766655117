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

A table is a few sorted runs of unique keys (merged as they grow, like a
log-structured tree); a batch is sorted once (index packed under the key
bits, so a plain sort is the argsort), looked up with ``searchsorted`` and
appended as a new run.  Products of two row colours (``grid``) are named
without a table entry per element: a grid reserves a block of ids for all
pairs of its row colours, and a pair already named by an earlier grid of
the same tag keeps its earlier name.

Reserved: ``ZERO`` is the constant 0 (exactly zero), ``ONE`` the constant 1.
"""

import zlib

import numpy as np

from ..base.errors import SymgradError
from .grids import Grids
from .keys import BLOCK, argsort_u64, mix, run_numbers

ZERO = 0
ONE = 1
_LIMIT = 2 ** 31 - 1
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
    if k == 2 and n and rows.min() >= 0 and rows.max() <= _LIMIT:
        return (rows[:, 0] << 31) | rows[:, 1]
    if k == 2 and not n:
        return rows[:, 0]
    return None


class _Table:
    """Interned keys of one (tag, width): sorted runs of unique keys with their ids and
    (for hashed rows) where the interned row is kept (a block, by reference, and a row)."""

    def __init__(self, hashed):
        self.hashed = hashed
        self.runs = []              # [keys (sorted uint64), ids (or the first of consecutive ids), blk, loc, limit]
        self.blocks = []
        self.overflow = {}          # exact row bytes -> id, for hash collisions only

    def find(self, keys, newest):
        """For sorted unique keys: (ids or -1, run index, position in run); the run
        and position only for hashed rows (where their interned rows are kept).  Each
        run is searched from its smaller side: a short batch is looked up in a long
        run, a short run is placed among a long batch; and only for the keys whose
        ``newest`` colour is older than the run's limit (no key of a run holds a colour
        made after it: a key of new colours is new, and is looked up nowhere)."""
        ids = np.full(len(keys), -1, np.int64)
        run = np.full(len(keys), -1, np.int64) if self.hashed else None
        pos = np.zeros(len(keys), np.int64) if self.hashed else None
        if not self.runs or int(newest.min(initial=0)) >= max(r[4] for r in self.runs):
            return ids, run, pos                                     # every key is newer than the table
        for r, (rk, rid, _, _, limit) in enumerate(self.runs):
            old = np.flatnonzero(newest < limit)
            if len(old) == len(keys):
                ki, ri = _matches(keys, rk)
            elif len(old):
                ki, ri = _matches(keys[old], rk)
                ki = old[ki]
            else:
                continue
            ids[ki] = rid + ri if isinstance(rid, int) else rid[ri]
            if self.hashed:
                run[ki] = r
                pos[ki] = ri
        return ids, run, pos

    def rows_at(self, run, pos, k):
        out = np.empty((len(pos), k), np.int64)
        for r in np.unique(run):
            s = run == r
            _, _, blk, loc, _ = self.runs[r]
            b, lc = blk[pos[s]], loc[pos[s]]
            part = np.empty((int(s.sum()), k), np.int64)
            for q in np.unique(b):
                t = b == q
                part[t] = self.blocks[q][lc[t]]
            out[s] = part
        return out

    def add(self, keys, ids, limit, rows=None, where=None):
        """A run of new keys; ``limit``: above the newest colour of any of them."""
        blk = loc = None
        if self.hashed:
            self.blocks.append(rows)
            blk = np.full(len(keys), len(self.blocks) - 1, np.int32)
            loc = where
        new = [keys, ids, blk, loc, int(limit)]
        shorter = None                  # the runs no longer than the new one, merged among themselves first
        while self.runs and len(self.runs[-1][0]) <= len(new[0]):
            last = self.runs.pop()
            shorter = last if shorter is None else _merge(last, shorter)
        if shorter is not None and 4 * len(shorter[0]) < len(new[0]):
            self.runs += [new, shorter]     # far shorter: kept beside it (no copy of a long run)
        else:
            self.runs.append(new if shorter is None else _merge(shorter, new))   # runs stay longest first


def _newest(tag, k, packed):
    """The newest colour in each packed row of exact keys (0 for constants: their keys
    are values, not colours)."""
    if tag == "const":
        return np.zeros(len(packed), np.int64)
    if k == 1:
        return packed
    return np.maximum(packed >> 31, packed & _LIMIT)


def _increasing(keys) -> bool:
    """Whether the keys are strictly increasing, looked at block by block (an
    unsorted batch is told at its first block)."""
    for i in range(1, len(keys), BLOCK):
        j = min(i + BLOCK, len(keys))
        if not (keys[i:j] > keys[i - 1:j - 1]).all():
            return False
    return True


def _scatter(order, ids, runs):
    """``out[order[i]] = ids[runs[i]]`` (``runs`` None: ``i``; ``ids`` an int: the first of
    consecutive ids), in blocks: no array of the batch's size but ``out``."""
    out = np.empty(len(order), np.int64)
    for i in range(0, len(order), BLOCK):
        j = min(i + BLOCK, len(order))
        at = np.arange(i, j) if runs is None else runs[i:j]
        out[order[i:j]] = ids + at if isinstance(ids, int) else ids[at]
    return out


def _matches(keys, run_keys):
    """Indices (into ``keys``, into ``run_keys``) of the keys both sorted unique
    arrays hold, by binary search of the shorter in the longer.

    >>> [m.tolist() for m in _matches(np.array([1, 4, 9], np.uint64), np.array([4, 5, 9, 11], np.uint64))]
    [[1, 2], [0, 2]]
    """
    if not len(keys) or not len(run_keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if len(run_keys) <= len(keys):
        ki = np.minimum(np.searchsorted(keys, run_keys), len(keys) - 1)
        ri = np.flatnonzero(keys[ki] == run_keys)
        return ki[ri], ri
    ri = np.minimum(np.searchsorted(run_keys, keys), len(run_keys) - 1)
    ki = np.flatnonzero(run_keys[ri] == keys)
    return ki, ri[ki]


def _merge(a, b):
    """Merge two runs of disjoint sorted keys (with their parallel arrays), placing
    the shorter run's keys among the longer's by binary search."""
    short, long_ = (a, b) if len(a[0]) <= len(b[0]) else (b, a)
    n = len(a[0]) + len(b[0])
    at = np.searchsorted(long_[0], short[0]) + np.arange(len(short[0]))
    mask = np.ones(n, bool)
    mask[at] = False
    out = []
    for x, y in zip(short[:4], long_[:4]):
        if x is None:
            out.append(None)
            continue
        x, y = (np.arange(v, v + len(r[0]), dtype=np.int64) if isinstance(v, int) else v
                for v, r in ((x, short), (y, long_)))
        z = np.empty(n, x.dtype)
        z[at] = x
        z[mask] = y
        out.append(z)
    return out + [max(a[4], b[4])]


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
        if self.count > _LIMIT:
            raise SymgradError(f"more than {_LIMIT} distinct colours: model too large for lint")

    def const(self, values):
        """Colours of constants, by value: bitwise-equal floats share one (-0.0 == 0.0)."""
        v = np.ascontiguousarray(values, dtype=np.float64)
        zero = v == 0
        if np.signbit(v[zero]).any() or np.isnan(v).any():   # else the values are their own keys: no copy
            v = np.where(np.isnan(v), np.nan, v + 0.0)        # -0.0 + 0.0 == +0.0, and one NaN
        bits = v.reshape(-1, 1).view(np.int64)
        return self.intern("const", bits).reshape(v.shape)

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
        if len(first) and min(first.min(), second.min()) >= 0 and max(first.max(), second.max()) <= _LIMIT:
            packed = first << 31                             # as ``pack`` packs two entries
            packed |= second
            return self._intern_keys(tag, 2, packed)
        return self.intern(tag, np.stack([first, second], axis=1))

    # --- exact keys ---------------------------------------------------------------
    def _intern_keys(self, tag, k, packed):
        table = self.tables.get((tag, k))
        if table is None:
            table = self.tables[(tag, k)] = _Table(False)
        # a bijection of the packed row: exact (constants by their bits, kept in order)
        keys = packed.view(np.uint64) if tag == "const" else mix(packed.view(np.uint64))
        newest = _newest(tag, k, packed)
        if _increasing(keys):                                # sorted already (a table's distinct values)
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
        return _scatter(order, ids, None if distinct else run_numbers(starts))

    # --- hashed rows --------------------------------------------------------------
    def _intern_rows(self, tag, rows):
        n, k = rows.shape
        table = self.tables.get((tag, k))
        if table is None:
            table = self.tables[(tag, k)] = _Table(True)
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
