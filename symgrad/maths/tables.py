"""The tables of a palette: the interned keys of one (tag, width), as a few sorted
runs of unique keys with their ids (merged as they grow, like a log-structured
tree), each run knowing the newest colour any of its keys holds (a key made of
newer colours cannot be in it, and is looked up nowhere).  ``symgrad.maths.palette``
names colours with them.
"""

import numpy as np

from .keys import BLOCK, COLOUR_LIMIT



class Table:
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


def newest_colours(tag, k, packed):
    """The newest colour in each packed row of exact keys (0 for constants: their keys
    are values, not colours)."""
    if tag == "const":
        return np.zeros(len(packed), np.int64)
    if k == 1:
        return packed
    return np.maximum(packed >> 31, packed & COLOUR_LIMIT)


def increasing(keys) -> bool:
    """Whether the keys are strictly increasing, looked at block by block (an
    unsorted batch is told at its first block)."""
    for i in range(1, len(keys), BLOCK):
        j = min(i + BLOCK, len(keys))
        if not (keys[i:j] > keys[i - 1:j - 1]).all():
            return False
    return True


def scatter(order, ids, runs):
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
