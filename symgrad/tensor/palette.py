"""Colours: exact interning of signatures into small integer ids (hash, then verify).

A colour names a value (or a delta) up to proven equality: two elements
with the same colour are equal as functions of the parameters (under the
current tie hypothesis) and of every input.  Colours may be finer than the
truth, never coarser.  A signature is a tag and a row of int64 colours; a
multiset is the sorted row.  Rows are hashed with numpy (splitmix64 per
entry, position-salted, summed mod 2**64), grouped by hash, and then
compared entry by entry with the representative of their group, inside a
batch and against everything interned before: a hash collision can only
ever give a fresh colour, never a false tie.

Reserved: ``ZERO`` is the constant 0 (exactly zero), ``ONE`` the constant 1.
"""

import numpy as np

ZERO = 0
ONE = 1
_LIMIT = 2 ** 31 - 1
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def mix(x):
    """splitmix64 finaliser, elementwise on a uint64 array (wraps mod 2**64).

    >>> int(mix(np.array([1], dtype=np.uint64))[0]) != 1
    True
    """
    x = np.asarray(x, dtype=np.uint64)
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def row_hash(tag, rows):
    """64-bit hash of each row of ``rows`` ([n, K] int64), salted by tag and position."""
    n, k = rows.shape
    salt = mix(np.arange(k, dtype=np.uint64) * _GOLD + mix(np.array([hash(tag) & (2 ** 63 - 1)], np.uint64)))
    h = mix(rows.astype(np.uint64) * _GOLD + salt[None, :])
    return mix(h.sum(axis=1, dtype=np.uint64) + np.uint64(k))


class _Table:
    """Interned rows of one (tag, width): sorted hashes, their ids and rows."""

    def __init__(self, width):
        self.keys = np.zeros(0, np.uint64)      # sorted
        self.ids = np.zeros(0, np.int64)        # id of each key
        self.block = np.zeros(0, np.int64)      # which stored block holds each key's row
        self.local = np.zeros(0, np.int64)      # and where in it
        self.blocks = []                        # the interned rows, kept by reference
        self.overflow = {}          # exact row bytes -> id, for hash collisions only

    def rows_at(self, pos):
        """The stored rows of the keys at ``pos`` (one gather per block)."""
        bk, lc = self.block[pos], self.local[pos]
        out = np.empty((len(pos), self.blocks[0].shape[1]), np.int64)
        for b in np.unique(bk):
            sel = bk == b
            out[sel] = self.blocks[b][lc[sel]]
        return out


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
        self.collisions = 0
        assert self.const(np.array([0.0]))[0] == ZERO
        assert self.const(np.array([1.0]))[0] == ONE

    def fresh(self, shape):
        """Brand-new colours, one per element (generic inputs, dropout masks)."""
        n = int(np.prod(shape, dtype=np.int64))
        out = np.arange(self.count, self.count + n, dtype=np.int64).reshape(shape)
        self._grow(n)
        return out

    def _grow(self, n):
        self.count += n
        if self.count > _LIMIT:
            from symgrad.errors import SymgradError
            raise SymgradError(f"more than {_LIMIT} distinct colours: model too large for lint")

    def const(self, values):
        """Colours of constants, by value: bitwise-equal floats share one (-0.0 == 0.0)."""
        v = np.asarray(values, dtype=np.float64) + 0.0        # -0.0 + 0.0 == +0.0
        v = np.where(np.isnan(v), np.nan, v)
        bits = v.reshape(-1, 1).view(np.int64)
        return self.intern("const", bits).reshape(v.shape)

    def intern(self, tag, rows):
        """Exact ids for the rows ([n, K] int64) under ``tag``: equal ids iff equal rows."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        n, k = rows.shape
        if n == 0:
            return np.zeros(0, np.int64)
        h = row_hash(tag, rows)
        uh, first, inv = np.unique(h, return_index=True, return_inverse=True)
        inv = inv.reshape(-1)
        if not (rows == rows[first[inv]]).all():            # collision inside the batch
            self.collisions += 1
            _, first, inv = np.unique(rows, axis=0, return_index=True, return_inverse=True)
            inv = inv.reshape(-1)
            uh = h[first]
        ids = self._lookup(tag, k, uh, rows[first])
        return ids[inv]

    def _lookup(self, tag, k, keys, reps):
        table = self.tables.get((tag, k))
        if table is None:
            table = self.tables[(tag, k)] = _Table(k)
        ids = np.full(len(keys), -1, np.int64)
        pos = np.searchsorted(table.keys, keys)
        posc = np.minimum(pos, max(len(table.keys) - 1, 0))
        hit = (pos < len(table.keys)) & (table.keys[posc] == keys) if len(table.keys) else np.zeros(len(keys), bool)
        same = np.zeros(len(keys), bool)
        if hit.any():
            same[hit] = (table.rows_at(posc[hit]) == reps[hit]).all(axis=1)
            ids[same] = table.ids[posc[same]]
        clash = hit & ~same                                 # hash known, row differs
        later = np.zeros(len(keys), bool)                   # repeated hash among new reps
        _, firsts = np.unique(keys, return_index=True)
        later[:] = True
        later[firsts] = False
        slow = clash | (later & ~hit)
        for i in np.flatnonzero(slow):                      # hash collisions only: exact dict
            self.collisions += 1
            key = reps[i].tobytes()
            if key not in table.overflow:
                table.overflow[key] = self.count
                self._grow(1)
            ids[i] = table.overflow[key]
        new = ~hit & ~slow
        m = int(new.sum())
        if m:
            ids[new] = np.arange(self.count, self.count + m, dtype=np.int64)
            self._grow(m)
            table.blocks.append(reps[new])
            at = np.searchsorted(table.keys, keys[new])
            table.keys = np.insert(table.keys, at, keys[new])
            table.ids = np.insert(table.ids, at, ids[new])
            table.block = np.insert(table.block, at, len(table.blocks) - 1)
            table.local = np.insert(table.local, at, np.arange(m))
        return ids
