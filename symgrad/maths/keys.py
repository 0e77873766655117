"""Exact 64-bit keys: a bijective mix, a sort that is an argsort, run numbers.

The palette (``symgrad.maths.palette``) and the refinement kernel
(``symgrad.maths.refine``) sort parameter-sized arrays of keys; these are
the primitives, written for few full-size passes over memory.
"""

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_U = np.uint64
BLOCK = 1 << 22         # elements per block of a blockwise pass (32 MB of words)
COLOUR_LIMIT = 2 ** 31 - 1   # colours lie below: two of them pack into one 62-bit key


def mix(x, inplace=False):
    """splitmix64 finaliser, elementwise on a uint64 array (a bijection of 64-bit words),
    block by block; ``inplace``: ``x`` itself (contiguous) is mixed, else a copy.

    >>> int(mix(np.array([1], dtype=np.uint64))[0]) != 1
    True
    """
    x = x if inplace else np.array(x, dtype=np.uint64)
    flat = x.reshape(-1)                             # a view: x is contiguous
    t = np.empty(min(flat.size, BLOCK), np.uint64)
    for i in range(0, flat.size, BLOCK):
        b, u = flat[i:i + BLOCK], t[:min(BLOCK, flat.size - i)]
        for shift, factor in ((30, _M1), (27, _M2)):
            np.right_shift(b, _U(shift), out=u)
            b ^= u
            b *= factor
        np.right_shift(b, _U(31), out=u)
        b ^= u
    return x


def psort(a):
    """Sort a 1-D array in place (numpy's vectorised sort) and return it."""
    a.sort()
    return a


def argsort_u64(keys):
    """(order, sorted keys) of a uint64 array, stable for equal keys: ``sorted_runs``'s
    order (key order throughout), then the keys read in it.

    >>> [x.tolist() for x in argsort_u64(np.array([9, 2**40, 9, 3], np.uint64))]
    [[3, 0, 2, 1], [3, 9, 9, 1099511627776]]
    """
    order, _ = sorted_runs(keys)
    return order, keys[order]


def sorted_runs(keys):
    """(order, starts) for a uint64 array: ``keys[order]`` is in key order (equal keys by
    index), and ``starts`` marks where each run of equal keys begins in it.  One sort of the keys' high bits with the index packed
    below; full keys are read only where two neighbours agree on the high bits (rare
    for mixed keys), so no array of the input's size is gathered at random.

    >>> order, starts = sorted_runs(np.array([9, 2**40, 9, 3], np.uint64))
    >>> np.array([9, 2**40, 9, 3])[order].tolist(), starts.tolist()
    ([3, 9, 9, 1099511627776], [True, True, False, True])
    """
    n = len(keys)
    ib = max(int(n - 1).bit_length(), 1)
    low = _U((1 << ib) - 1)
    packed = keys & ~low
    for i in range(0, n, BLOCK):
        packed[i:i + BLOCK] |= np.arange(i, min(i + BLOCK, n), dtype=np.uint64)
    packed.sort()
    starts = np.ones(n, bool)
    for i in range(1, n, BLOCK):                             # the high bits change
        j = min(i + BLOCK, n)
        np.greater(packed[i:j] ^ packed[i - 1:j - 1], low, out=starts[i:j])
    packed &= low
    order = packed.view(np.int64)                            # below 2**63: the same integers
    tied = ~starts
    tied[:-1] |= ~starts[1:]                                 # in a group of equal high bits
    sel = np.flatnonzero(tied)
    if len(sel):                                             # those groups in full-key order
        group = np.cumsum(starts[sel])
        full = keys[order[sel]]
        sub = np.lexsort((order[sel], full, group))
        order[sel], full = order[sel][sub], full[sub]
        head = starts[sel]
        head[1:] |= full[1:] != full[:-1]
        starts[sel] = head
    return order, starts


def run_numbers(starts):
    """The number of the run of equal sorted keys each position is in, given where
    runs start (int32 below 2**31 positions: half the memory traffic).

    >>> run_numbers(np.array([True, False, True, True])).tolist()
    [0, 0, 1, 2]
    """
    out = np.cumsum(starts, dtype=np.int32 if len(starts) < 1 << 31 else np.int64)
    out -= 1
    return out
