"""The colour-refinement kernel, on integer arrays: the colour of the multiset of
colours gathered at each target, and dense ids of exact keys.  The structural
engine (``symgrad.proofs.structural``) and the tensor level (``symgrad.tensor``)
both refine with it; colours are interned by ``symgrad.maths.palette`` (hash,
then verify: a collision can only give a fresh colour, never a false tie).

>>> import numpy as np
>>> from symgrad.maths.palette import Palette
>>> pal = Palette()
>>> c = reduce_groups(pal, "in", np.array([5, 7, 7, 5, 9]), np.array([0, 0, 1, 1, 2]), 4, drop_zero=False, single=False)
>>> bool(c[0] == c[1]), bool(c[0] == c[2]), int(c[3])
(True, False, 0)
"""
import numpy as np

from .palette import ZERO, argsort_u64, mix

CHUNK = 1 << 21   # entries of the rows interned at once


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
    out = np.full(n, ZERO, np.int64)
    if len(values) == 0:
        return out
    if len(targets) > 1 and (targets[1:] < targets[:-1]).any():
        order, st = argsort_u64(targets.view(np.uint64))      # stable: members in order of targets
        values, targets = values[order], st.view(np.int64)
    counts = np.bincount(targets, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    for c in np.unique(counts[counts > 0]):
        t = np.flatnonzero(counts == c)
        if c == 1 and single:
            out[t] = values[starts[t]]
            continue
        step = max(1, CHUNK // int(c))
        for i in range(0, len(t), step):
            tt = t[i:i + step]
            rows = values[starts[tt][:, None] + np.arange(c)[None, :]]
            rows.sort(axis=1)                               # the multiset: the sorted row
            out[tt] = pal.intern(tag, rows)
    return out


def dense(keys):
    """Dense ids (0..count-1) of a uint64 array, equal ids iff equal keys, and the count."""
    if len(keys) == 0:
        return np.zeros(0, np.int64), 0
    order, sk = argsort_u64(mix(keys))                  # mix is a bijection: exact
    starts = np.concatenate([[True], sk[1:] != sk[:-1]])
    gid = np.cumsum(starts) - 1
    out = np.empty(len(keys), np.int64)
    out[order] = gid
    return out, int(gid[-1]) + 1
