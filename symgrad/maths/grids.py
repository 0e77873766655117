"""Names of products of row colours (``Palette.grid``): a block of ids per call for
all pairs of its distinct row colours, a pair named before by a grid of the same
tag keeping its earlier name.

Earlier grids are found by the ranges of their row colours (one vectorised test
over every earlier grid of the tag), so a grid of new colours, the common case,
looks at none of them: the cost of a call does not grow with the calls before it.
"""

import numpy as np


class _Grid:
    __slots__ = ("ua", "ub", "base")

    def __init__(self, ua, ub, base):
        self.ua, self.ub, self.base = ua, ub, base


class Grids:
    """The grids of one palette, by tag."""

    def __init__(self):
        self.by_tag = {}          # tag -> ([grid], [[min a, max a, min b, max b], ...])

    def __len__(self):
        return sum(len(g) for g, _ in self.by_tag.values())

    def name(self, pal, tag, ra, rb):
        """Ids of the pairs (ra[..., i], rb[..., j]) -> [..., I, J] (leading axes batch the
        pairing): equal ids iff equal pairs, consistent with every earlier grid of ``tag``."""
        ra, rb = np.asarray(ra, np.int64), np.asarray(rb, np.int64)
        ua, pa = np.unique(ra, return_inverse=True)
        ub, pb = np.unique(rb, return_inverse=True)
        pa, pb = pa.reshape(ra.shape), pb.reshape(rb.shape)
        na, nb = len(ua), len(ub)
        total = max(ra.size * rb.shape[-1], 1)
        if na * nb > 8 * total + (1 << 20) and ra.ndim > 1:   # batches far apart: one grid each
            return np.stack([self.name(pal, tag, ra[i], rb[i]) for i in range(ra.shape[0])])
        base = pal.count
        pal._grow(na * nb)
        grids, ranges = self.by_tag.setdefault(tag, ([], []))
        full = None
        for g in reversed([grids[i] for i in _overlapping(ranges, ua, ub)]):   # the earliest grid wins
            qa = np.minimum(np.searchsorted(g.ua, ua), len(g.ua) - 1)
            fa = np.flatnonzero(g.ua[qa] == ua)
            if not len(fa):
                continue
            qb = np.minimum(np.searchsorted(g.ub, ub), len(g.ub) - 1)
            fb = np.flatnonzero(g.ub[qb] == ub)
            if not len(fb):
                continue
            if full is None:
                full = base + np.arange(na, dtype=np.int64)[:, None] * nb + np.arange(nb, dtype=np.int64)[None, :]
            full[np.ix_(fa, fb)] = g.base + qa[fa][:, None] * len(g.ub) + qb[fb][None, :]
        grids.append(_Grid(ua, ub, base))
        ranges.append((int(ua[0]), int(ua[-1]), int(ub[0]), int(ub[-1])) if na and nb else (1, 0, 1, 0))
        if full is not None:
            return full[pa[..., :, None], pb[..., None, :]]
        return base + pa[..., :, None] * np.int64(nb) + pb[..., None, :]


def _overlapping(ranges, ua, ub):
    """Indices of the earlier grids whose row-colour ranges meet both ``ua``'s and ``ub``'s.

    >>> _overlapping([(0, 5, 0, 5), (10, 20, 0, 5)], np.array([3, 4]), np.array([1]))
    [0]
    """
    if not ranges or not len(ua) or not len(ub):
        return []
    r = np.asarray(ranges, np.int64)
    hit = (r[:, 0] <= ua[-1]) & (r[:, 1] >= ua[0]) & (r[:, 2] <= ub[-1]) & (r[:, 3] >= ub[0])
    return np.flatnonzero(hit).tolist()
