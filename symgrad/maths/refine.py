"""The colour-refinement kernel, on integer arrays: the colour of the multiset of
colours gathered at each target, marks for rows of such colours, dense ids of
exact keys, and ``split``, the one refinement step (a partition refined by
marks).  The structural engine (``symgrad.proofs.structural``) and the tensor
level (``symgrad.tensor``) both refine with it; colours are interned by
``symgrad.maths.palette`` (hash, then verify: a collision can only give a fresh
colour, never a false tie).

>>> import numpy as np
>>> from symgrad.maths.palette import Palette
>>> pal = Palette()
>>> c = reduce_groups(pal, "in", np.array([5, 7, 7, 5, 9]), np.array([0, 0, 1, 1, 2]), 4, drop_zero=False, single=False)
>>> bool(c[0] == c[1]), bool(c[0] == c[2]), int(c[3])
(True, False, 0)
"""
import numpy as np

from .keys import BLOCK, mix, run_numbers, sorted_runs
from .palette import ZERO

CHUNK = 1 << 21   # entries of the rows interned at once


class Grouping:
    """Members gathered at each of ``n`` targets, sorted once and kept: the
    structural engine groups the same edges every round.

    >>> from symgrad.maths.palette import Palette
    >>> g = Grouping(np.array([1, 0, 1]), 3)
    >>> c = g.multisets(Palette(), "in", np.array([4, 9, 4]), single=True)
    >>> int(c[0]), bool(c[1] > 1), int(c[2])
    (9, True, 0)
    """

    def __init__(self, targets, n):
        targets = np.asarray(targets, np.int64).ravel()
        self.order = None
        if len(targets) > 1 and (targets[1:] < targets[:-1]).any():   # stable: members in order of targets
            self.order = np.argsort(targets.astype(np.uint16) if n <= 1 << 16 else targets, kind="stable")
            targets = targets[self.order]
        self.n = n
        counts = np.bincount(targets, minlength=n) if len(targets) else np.zeros(n, np.int64)
        self.starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        self.batches = [(int(c), np.flatnonzero(counts == c)) for c in np.unique(counts[counts > 0])]

    def multisets(self, pal, tag, values, single):
        """Colour of the multiset of ``values`` (one per member, in the members'
        given order) at each target: ZERO with no member; ``single``: one member is itself."""
        values = np.asarray(values, np.int64).ravel()
        if self.order is not None:
            values = values[self.order]
        out = np.full(self.n, ZERO, np.int64)
        for c, t in self.batches:
            if c == 1 and single:
                out[t] = values[self.starts[t]]
                continue
            step = max(1, CHUNK // c)
            for i in range(0, len(t), step):
                tt = t[i:i + step]
                rows = values[self.starts[tt][:, None] + np.arange(c)[None, :]]
                rows.sort(axis=1)                               # the multiset: the sorted row
                out[tt] = pal.intern(tag, rows)
        return out


def reduce_groups(pal, tag, values, targets, n, drop_zero, single=True):
    """Colour of the multiset of ``values`` gathered at each of ``n`` targets.

    ``drop_zero`` (sums): zero members are left out, no member gives ZERO,
    one member is itself.  Otherwise (max, row statistics) every member
    counts and ``single`` says whether one member is itself.
    """
    values = np.asarray(values, np.int64).ravel()
    targets = np.asarray(targets, np.int64).ravel()
    keep = targets >= 0
    if drop_zero:
        keep &= values != ZERO
    if not keep.all():
        values, targets = values[keep], targets[keep]
    if len(values) == 0:
        return np.full(n, ZERO, np.int64)
    return Grouping(targets, n).multisets(pal, tag, values, single)


def dense(keys, distinct=False, shared=False, scratch=False):
    """Dense ids (0..count-1) of an unsigned integer array, equal ids iff equal keys,
    and the count; with ``distinct``, also the keys in id order; with ``shared``, also
    a bool per element: another element has its key.  Keys of 32 bits are sorted with
    their index below them (one sort, exact; ids in key order); wider ones are mixed
    first (a bijection) and sorted as words (in place with ``scratch``: the caller's
    keys are then overwritten).

    >>> [x.tolist() if hasattr(x, "tolist") else x for x in dense(np.array([7, 3, 7], np.uint32), True, True)]
    [[1, 0, 1], 2, [3, 7], [True, False, True]]
    >>> dense(np.array([2**40, 5, 2**40], np.uint64), shared=True)[2].tolist()
    [True, False, True]
    """
    extra = ((keys[:0],) if distinct else ()) + ((np.zeros(0, bool),) if shared else ())
    if len(keys) == 0:
        return (np.zeros(0, np.int64), 0) + extra
    if keys.dtype.itemsize <= 4 and len(keys) < 1 << 32:
        return _dense_narrow(keys, distinct, shared)
    order, starts = sorted_runs(mix(keys, inplace=scratch and not distinct))   # a bijection: exact
    gid = run_numbers(starts)
    out = np.empty(len(keys), np.int64)
    out[order] = gid
    extra = ((keys[order[starts]],) if distinct else ())
    if shared:
        many = np.empty(len(keys), bool)
        many[order] = _run_sizes(starts)[gid] > 1
        extra += (many,)
    return (out, int(gid[-1]) + 1) + extra


def _run_sizes(starts):
    """The length of each run, given where runs start."""
    return np.diff(np.flatnonzero(starts), append=len(starts))


def _dense_narrow(keys, distinct=False, shared=False):
    """``dense`` of keys below 2**32: each word is (key, index), sorted once; every
    other pass is blockwise (run starts, run numbers, whether a neighbour has the same
    key, the scatter back to input order), so the only arrays of the input's size are
    the words and the result.  Whether an element's key is shared rides in bit 32 of
    its id through the one scatter."""
    n, low, shift = len(keys), np.uint64(0xFFFFFFFF), np.uint64(32)
    words = np.empty(n, np.uint64)
    for i in range(0, n, BLOCK):
        w = words[i:i + BLOCK]
        w[:] = keys[i:i + BLOCK]
        w <<= shift
        w |= np.arange(i, i + len(w), dtype=np.uint64)
    words.sort()
    out = np.empty(n, np.int64)
    found, count = [], 0
    for i in range(0, n, BLOCK):
        j = min(i + BLOCK, n)
        around = words[max(i - 1, 0):min(j + 1, n)] >> shift       # the block and its neighbours
        here = around[1 if i else 0:][:j - i]
        starts = np.ones(j - i, bool)
        np.not_equal(here[1:], here[:-1], out=starts[1:])
        if i:
            starts[0] = here[0] != around[0]
        ids = np.cumsum(starts, dtype=np.int64)
        ids += count - 1
        count = int(ids[-1]) + 1
        if distinct:
            found.append(here[starts])
        if shared:
            after = np.zeros(j - i, bool)
            np.equal(here[:-1], here[1:], out=after[:-1])
            if j < n:
                after[-1] = here[-1] == around[-1]
            ids[after | ~starts] |= 1 << 32                          # equal to the one before or after
        out[(words[i:j] & low).view(np.int64)] = ids
    del words
    extra = (np.concatenate(found).astype(keys.dtype),) if distinct else ()
    if shared:
        extra += (out > 0xFFFFFFFF,)
        out &= 0xFFFFFFFF
    return (out, count) + extra


def marks(pal, tag, columns):
    """One mark per element for the rows of ``columns`` (non-negative int64 arrays
    of one length): equal marks iff equal rows, in [0, 2**32), what ``split``
    refines by.  A column that does not vary splits nothing and is left out; one
    column left, below 2**32, is its own mark; several are interned as rows in
    ``pal`` (hash, then verify: exact).

    >>> from symgrad.maths.palette import Palette
    >>> m = marks(Palette(), "m", [np.array([4, 4, 4]), np.array([9, 2**40, 9]), np.array([1, 1, 0])])
    >>> bool(m[0] != m[1] != m[2] != m[0]), bool(m.max() < 2**32)
    (True, True)
    >>> marks(Palette(), "m", [np.array([4, 4]), np.array([7, 3])]).tolist()
    [7, 3]
    """
    n = len(columns[0]) if columns else 0
    varying = [np.asarray(c, np.int64) for c in columns if n and c.min() != c.max()]
    if not varying:
        return np.zeros(n, np.int64)
    if len(varying) == 1 and varying[0].min() >= 0 and varying[0].max() < 1 << 32:
        return varying[0]
    return pal.intern(tag, np.stack(varying, 1))


def split(classes, marks, top=None, inplace=False):
    """Refine the partition ``classes`` (non-negative ids below 2**31) by ``marks``
    (non-negative, below 2**32): two elements stay in one class iff they were and
    their marks agree.  The elements agreeing with a representative of their class
    keep its id; the others get fresh ids from ``top`` on (default: above every
    current id; ids are then renumbered densely should they reach 2**31), one per
    distinct (class, mark), so a partition that does not split costs two passes and
    no sort.  Given ``top``, ``classes`` may be the whole classes of a larger array
    whose ids lie below ``top``; ``inplace``: the new ids are written into ``classes``
    (an int64 array).  Returns the new ids and how many classes are new (0: nothing
    split).

    >>> new, more = split(np.array([0, 0, 0, 5]), np.array([1, 2, 1, 7]))
    >>> bool(new[0] == new[2] != new[1]), bool(new[3] == 5), more
    (True, True, 1)
    >>> split(np.array([3, 3]), np.array([4, 4]))[1]
    0
    """
    classes = np.asarray(classes, np.int64)
    if len(classes) == 0:
        return classes, 0
    marks = np.asarray(marks)
    if int(marks.min()) < 0 or int(marks.max()) >= 1 << 32:
        raise ValueError("split: marks must lie in [0, 2**32)")
    marks = marks.astype(np.uint32, copy=False)             # 32 bits: half the random memory traffic
    whole = top is None
    top = int(classes.max()) + 1 if whole else int(top)
    slots = classes
    if 8 * len(classes) < top:               # a few elements of large ids: a table over their own classes
        slots = np.unique(classes, return_inverse=True)[1]
    rep = np.zeros(int(slots.max()) + 1, np.uint32)
    rep[slots] = marks                       # one member's mark per class (whichever is written last)
    moved = np.flatnonzero(rep[slots] != marks)
    del rep, slots
    if not len(moved):
        return classes, 0
    key = classes[moved].view(np.uint64)           # a copy (fancy index), made the key in place
    key <<= np.uint64(32)
    key |= marks[moved]
    ids, more = dense(key, scratch=True)
    del key
    new = classes if inplace else classes.copy()
    ids += top
    new[moved] = ids
    if whole and top + more >= 1 << 31:      # keep ids small: renumber densely (rare)
        new = dense(new.view(np.uint64))[0]
    return new, more
