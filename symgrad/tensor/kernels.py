"""Colour kernels: the vectorised building blocks every rule is written in.

Each kernel maps colour arrays (int64, shaped like tensors) to colour
arrays, for values and deltas alike, and folds in the zero facts that
are exact in floating point as well as in algebra: ``0 * x = 0`` (x
finite), ``x + 0 = x``, a sum of zeros is zero, ``f(0) = 0`` for the
activations with that property, ``relu'(0) = 0``.  Sums, dot products
and row statistics are multisets: sorted rows interned by the palette.
"""

import numpy as np

from ..maths.keys import psort
from ..maths.palette import ONE, ZERO
from ..maths.refine import CHUNK, reduce_groups



def size(shape):
    return int(np.prod(shape, dtype=np.int64))


def scatter_sum(pal, values, targets, n):
    """Sum the delta contributions ``values`` into ``n`` slots (targets < 0 dropped)."""
    return reduce_groups(pal, "sum", values, targets, n, drop_zero=True)


def total(pal, ds, shape):
    """The sum of several colour arrays of one shape (None entries and all-zero arrays
    left out; None when nothing is left): the two-member sum as ``add`` names it, more
    as one multiset per entry."""
    ds = [d for d in ds if d is not None and (d != ZERO).any()]
    if not ds:
        return None
    if len(ds) == 1:
        return ds[0]
    if len(ds) == 2:
        return add(pal, ds[0], ds[1])
    n = size(shape)
    return scatter_sum(pal, np.concatenate([d.ravel() for d in ds]), np.tile(np.arange(n), len(ds)), n).reshape(shape)


def unbroadcast(pal, d, shape):
    """Adjoint of broadcasting ``shape`` up to ``d.shape``: sums over the copies."""
    shape = tuple(shape)
    if d.shape == shape:
        return d
    src = np.broadcast_to(np.arange(size(shape)).reshape(shape), d.shape)
    return scatter_sum(pal, d, src, size(shape)).reshape(shape)


def gather(x, src, fill=ZERO):
    """``out.flat[i] = x.flat[src.flat[i]]``; ``src < 0`` gives the colour ``fill``."""
    flat = x.ravel()
    safe = np.where(src >= 0, src, 0)
    return np.where(src >= 0, flat[safe] if flat.size else fill, fill).astype(np.int64)


def gather_back(pal, d, src, shape):
    """Adjoint of ``gather``: each source slot sums the deltas of its copies."""
    return scatter_sum(pal, d, src, size(shape)).reshape(shape)


def elementwise(pal, tag, *cols, commutative=False):
    """Colour of ``tag(cols...)`` per element, with numpy broadcasting."""
    cols = np.broadcast_arrays(*[np.asarray(c, np.int64) for c in cols])
    shape = cols[0].shape
    if len(cols) == 2:
        first, second = (np.minimum(*cols), np.maximum(*cols)) if commutative else cols   # unordered: (min, max)
        return pal.intern_pair(tag, first, second).reshape(shape)
    rows = np.stack([c.ravel() for c in cols], axis=1)
    if commutative:
        rows = np.sort(rows, axis=1)
    return pal.intern(tag, rows).reshape(shape)


def unary(pal, tag, x, zero_at_zero):
    """``f(x)``: a relabelling of ``x``'s colours; ``f(0) = 0`` kept when true."""
    out = elementwise(pal, tag, x)
    if zero_at_zero:
        out[x == ZERO] = ZERO
    return out


def add(pal, a, b):
    """``a + b`` as the two-member sum (consistent with every other sum); only
    the elements where neither term is zero are named."""
    a, b = np.broadcast_arrays(np.asarray(a, np.int64), np.asarray(b, np.int64))
    out = np.where(a == ZERO, b, a)
    return _named_where(pal, "sum", out, (a != ZERO) & (b != ZERO), a, b)


def mul(pal, a, b):
    """``a * b``: zero if a factor is zero (factors are finite), ``1 * x = x``;
    only the elements where neither factor is 0 or 1 are named."""
    a, b = np.broadcast_arrays(np.asarray(a, np.int64), np.asarray(b, np.int64))
    out = np.where(a == ONE, b, a)
    out[(a == ZERO) | (b == ZERO)] = ZERO
    general = (a != ZERO) & (b != ZERO) & (a != ONE) & (b != ONE)
    return _named_where(pal, "mul", out, general, a, b)


def _named_where(pal, tag, out, where, a, b):
    """``out`` with the commutative ``tag(a, b)`` named at ``where`` (the
    elements no zero or unit fact settles): the work follows those alone."""
    if where.all():
        return elementwise(pal, tag, a, b, commutative=True)
    if where.any():
        out[where] = elementwise(pal, tag, a[where], b[where], commutative=True)
    return out


def neg(pal, a):
    return unary(pal, "neg", a, zero_at_zero=True)


def const_like(pal, value, shape):
    return np.full(shape, pal.const(np.array([value]))[0], np.int64)


def scale(pal, a, value):
    """``a * value`` for a Python number."""
    return mul(pal, a, const_like(pal, float(value), np.shape(a)))


FAST = True            # the structural fast path of matmul (tests compare it with the general one)
_MAX_SUPPORTS = 16


def _sorted_nonzero(x):
    v = x[x != ZERO]
    return np.sort(v) if v.size < (1 << 23) else psort(v.copy())


def counts(fa, fb):
    """``fa @ fb`` for small non-negative integers held as float32 (exact below 2**24).
    Some BLAS kernels raise a floating-point flag spuriously on such inputs: it is
    ignored, and a product that is not finite is done again in integers.

    >>> counts(np.ones((2, 3), np.float32), np.ones((3, 1), np.float32)).tolist()
    [[3.0], [3.0]]
    """
    with np.errstate(invalid="ignore", over="ignore"):
        product = np.matmul(fa, fb)
    if not np.isfinite(product).all():
        product = np.matmul(fa.astype(np.int64), fb.astype(np.int64)).astype(np.float32)
    return product


def distinct_side(x, other):
    """Every nonzero colour of ``x`` occurs once in ``x`` and never in ``other``."""
    v = _sorted_nonzero(x)
    if v.size > 1 and (v[1:] == v[:-1]).any():
        return False
    if v.size == 0:
        return True
    o = other.ravel() if other.flags.c_contiguous else other.reshape(-1)
    lo, hi = v[0], v[-1]
    cand = o[(o >= lo) & (o <= hi)]
    if cand.size == 0:
        return True
    p = np.minimum(np.searchsorted(v, cand), v.size - 1)
    return not (v[p] == cand).any()


def _fast_dot(pal, A, Bt):
    """``out[b, i, j]`` = multiset of the pairs (A[b, i, k], Bt[b, j, k]) when every nonzero
    colour of A occurs once (in A) and never in Bt.  Then a nonzero pair names its
    position (b, i, k), so two outputs with a live pair are equal iff they share the row
    (b, i) and agree on Bt's row over that row's support: the colour is a grid over
    (A row, Bt row masked to the support).  No live pair gives ZERO, one gives the
    product (as in the general path).  None if there are too many supports."""
    nb, m, k = A.shape
    n = Bt.shape[1]
    nzA = A != ZERO
    full_support = bool(nzA.all())
    ra = pal.intern(("dotrow", k), A.reshape(-1, k)).reshape(nb, m)
    tag = ("dot", k)
    if full_support:
        rb = pal.intern(("dotrow", k), Bt.reshape(-1, k)).reshape(nb, n)
        out = pal.grid(tag, ra, rb)
    else:
        sup, which = np.unique(np.packbits(nzA.reshape(-1, k), axis=1), axis=0, return_inverse=True)
        if len(sup) > _MAX_SUPPORTS:
            return None
        which = which.reshape(nb, m)
        out = np.empty((nb, m, n), np.int64)
        for s in range(len(sup)):
            mask = np.unpackbits(sup[s])[:k].astype(bool)
            rb = pal.intern(("dotrow", k), np.where(mask, Bt, ZERO).reshape(-1, k)).reshape(nb, n)
            g = pal.grid(tag, ra, rb)
            sel = which == s
            out[sel] = g[sel]
    nzB = Bt != ZERO
    if not (full_support and nzB.all()):
        _few_terms(pal, out, A, Bt, nzA, nzB)
    return out


def _few_terms(pal, out, A, Bt, nzA, nzB):
    """Where an output has no term with both factors nonzero it is ZERO, where it has
    one it is that product (as ``mul`` names it): set in ``out`` in place."""
    k = A.shape[-1]
    fa, fb = nzA.astype(np.float32), np.swapaxes(nzB, -1, -2).astype(np.float32)
    live = counts(fa, fb)                             # exact counts (k < 2**24)
    out[live == 0] = ZERO
    one = np.argwhere(live == 1)
    if len(one):
        kk = counts(fa * np.arange(k, dtype=np.float32), fb)[live == 1].astype(np.int64)
        bi, i, j = one.T
        out[bi, i, j] = mul(pal, A[bi, i, kk], Bt[bi, j, kk])


GENERAL_BUDGET = 1 << 27   # entries of sorted pair rows a round's palette may keep (1 GB)


def _ordered_dot(pal, a2, bt, ra, rb):
    """Outputs named by their ordered pair of rows, once the multisets of pairs a round
    keeps would pass ``GENERAL_BUDGET``: equal rows give equal products, so this is
    finer than the multisets, never coarser (a tie only through a permutation of
    equal terms is not seen, and none is claimed); zero and single-term outputs as
    everywhere.  Counted in ``pal.ordered``."""
    out = pal.grid(("dot-rows", a2.shape[-1]), ra, rb)
    _few_terms(pal, out, a2, bt, a2 != ZERO, bt != ZERO)
    pal.ordered += out.size
    return out


def _general_dot(pal, a2, bt):
    """The multiset of (a, b) pairs of every output, interned as a sorted row; once per
    distinct pair of (row of a, row of b)."""
    nb, m, k = a2.shape
    n = bt.shape[1]
    ra = pal.intern(("dotrow", k), a2.reshape(-1, k)).reshape(nb, m)
    rb = pal.intern(("dotrow", k), bt.reshape(-1, k)).reshape(nb, n)
    key = (ra[:, :, None] << 31) | rb[:, None, :]
    uk, first, inv = np.unique(key.ravel(), return_index=True, return_inverse=True)
    total = len(uk)
    if pal.general + total * k > GENERAL_BUDGET:
        return _ordered_dot(pal, a2, bt, ra, rb)
    pal.general += total * k
    res_u = np.empty(total, np.int64)
    step = max(1, CHUNK // max(k, 1))
    for s in range(0, total, step):
        o = first[s:s + step]
        bi, rest = np.divmod(o, m * n)
        mi, ni = np.divmod(rest, n)
        x, y = a2[bi, mi, :], bt[bi, ni, :]
        lo, hi = np.minimum(x, y), np.maximum(x, y)
        packed = np.where(lo == ZERO, 0, (hi << 32) | lo)
        packed.sort(axis=1)
        nz = (packed != 0).sum(axis=1)
        res = np.full(len(o), ZERO, np.int64)
        one = nz == 1
        if one.any():
            p = packed[one, -1]
            res[one] = mul(pal, p >> 32, p & 0xFFFFFFFF)
        many = nz > 1
        if many.any():
            res[many] = pal.intern("dot", packed[many])
        res_u[s:s + len(o)] = res
    return res_u[inv.reshape(-1)].reshape(nb, m, n)


def matmul(pal, a, b):
    """Batched ``a @ b`` ([..., M, K] @ [..., K, N]): each element is the multiset
    of (a, b) pairs over the contraction, zero pairs collapsed to one marker."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    m, k = a.shape[-2:]
    n = b.shape[-1]
    a2 = np.broadcast_to(a, batch + (m, k)).reshape(-1, m, k)
    bt = np.swapaxes(np.broadcast_to(b, batch + (k, n)), -1, -2).reshape(-1, n, k)
    if k == 0 or a2.shape[0] * m * n == 0:
        return np.full(batch + (m, n), ZERO, np.int64)
    out = None
    if FAST and k > 1:
        small_a = a2.size <= bt.size
        for side in ((0, 1) if small_a else (1, 0)):
            x, y = (a2, bt) if side == 0 else (bt, a2)
            if distinct_side(x, y):
                r = _fast_dot(pal, x, y)
                if r is not None:
                    out = r if side == 0 else np.swapaxes(r, -1, -2)
                    break
    if out is None:
        out = _general_dot(pal, a2, bt)
    return np.ascontiguousarray(out).reshape(batch + (m, n))


def live(a, b):
    """Where ``a @ b`` is not provably zero: a pair of the contraction with both
    colours nonzero (the zero fact ``matmul`` folds in), as a bool array.

    >>> live(np.array([[0, 5]]), np.array([[7], [0]])).tolist()
    [[False]]
    """
    return counts((np.asarray(a) != ZERO).astype(np.float32), (np.asarray(b) != ZERO).astype(np.float32)) > 0


def transpose2(x):
    return np.swapaxes(x, -1, -2)


def reduce_sum(pal, x, dims, keepdim=False):
    """Sum over ``dims`` (a multiset per output element)."""
    dims = sorted(d % x.ndim for d in dims)
    kshape = tuple(1 if i in dims else s for i, s in enumerate(x.shape))
    tgt = np.broadcast_to(np.arange(size(kshape)).reshape(kshape), x.shape)
    out = scatter_sum(pal, x, tgt, size(kshape)).reshape(kshape)
    return out if keepdim else out.reshape(tuple(s for i, s in enumerate(x.shape) if i not in dims))


def row_stats(pal, tag, x, groups, ngroups):
    """Per element: (own colour, colour of the multiset of its group)."""
    gid = reduce_groups(pal, tag + "#", x, groups, ngroups, drop_zero=False, single=False)
    return elementwise(pal, tag, x, gid[groups])


def normalise(pal, tag, x, groups, ngroups):
    """``(x - mean) / sqrt(var + eps)`` (or RMS) over groups: exactly 0 on all-zero groups."""
    out = row_stats(pal, tag, x, groups, ngroups)
    nonzero = np.bincount(groups.ravel(), weights=(x != ZERO).ravel(), minlength=ngroups)
    return np.where(nonzero[groups] == 0, ZERO, out)


def pairs(a, b):
    """Ordered pair colours packed into one int64 (colours are below 2**31)."""
    return (np.asarray(a, np.int64) << 32) | np.asarray(b, np.int64)


def normalise_back(pal, tag, x, d, groups, ngroups):
    """Delta through a group normalisation: depends on (x_i, d_i, multiset of
    (x_j, d_j) over the group); exactly zero when every d_j in the group is."""
    gid = reduce_groups(pal, tag + "#", pairs(x, d), groups, ngroups, drop_zero=False, single=False)
    out = elementwise(pal, tag, x, d, gid[groups])
    nonzero = np.bincount(groups.ravel(), weights=(d != ZERO).ravel(), minlength=ngroups)
    return np.where(nonzero[groups] == 0, ZERO, out)


def last_axis_groups(shape, axes):
    """Group ids for statistics over ``axes`` (the others index the group)."""
    axes = sorted(a % len(shape) for a in axes)
    gshape = tuple(1 if i in axes else s for i, s in enumerate(shape))
    g = np.broadcast_to(np.arange(size(gshape)).reshape(gshape), shape)
    return np.ascontiguousarray(g), size(gshape)


def patches(shape, kernel, stride, padding, dilation):
    """Source index of every patch entry ([N, C*k, L], -1 for padding) and the output size."""
    import torch
    n = int(np.prod(shape))
    idx = (torch.arange(n, dtype=torch.float64) + 1).reshape(shape)
    cols = torch.nn.functional.unfold(idx, kernel, dilation=dilation, padding=padding, stride=stride)
    out = [(shape[2 + i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1 for i in range(2)]
    return cols.numpy().astype(np.int64) - 1, out
