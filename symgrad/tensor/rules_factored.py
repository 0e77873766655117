"""Rules for ops that read a structured parameter (``factored.Fac``): the matrix
products and the embedding, by rows and columns, and the views that keep the
structure.  A rule returns None where it has no structured answer; the
interpreter then materialises the operand (up to a size limit) and applies the
flat rule.  Every answer is the flat rules' answer up to the naming of colours:
the same partition of entries.
"""

from dataclasses import replace

import numpy as np

from ..base.errors import SymgradError
from ..maths.palette import ZERO
from . import kernels as K
from . import factored
from .factored import Fac, Grid, cannot_keep, table_grid
from .marks import Mark, as_mark, zero_mark
from .rules import T, back, registrar, wanted

FAC_RULES = {}
rule = registrar(FAC_RULES)
OUTER_BUDGET = 1 << 26     # pair-entries a table of distinct rows may cost


def fac(t):
    return isinstance(t, T) and isinstance(t.c, Fac)


# --- naming rows of a structured tensor ---------------------------------------------
def _structure_key(f: Fac):
    """What the columns of ``f`` look like, as a hashable exact key (equal keys: the
    rows' labels mean the same colours)."""
    parts = [f.n, _grid_key(f.start)]
    if f.rects and f.live is not None:
        parts += [_grid_key(f.live)] + [None if c is None else c.tobytes() for _, c in f.rects]
    return tuple(parts)


def _grid_key(g: Grid):
    if g.uniform is not None:
        return ("uniform", g.uniform)
    table = None if g.table is None else (g.table.shape, g.table.tobytes())
    return (repr(g.tag), g.swap, np.asarray(g.b, np.int64).tobytes(), table)


def row_names(pal, f: Fac):
    """An exact name for each row of ``f``: equal names iff equal rows of colours,
    across every structured tensor of this pass."""
    key = pal.name(("fac-struct", _structure_key(f)))
    parts = f.part_keys(True)
    rows = np.stack([np.full(f.m, key, np.int64)] + [np.asarray(p, np.int64) for p in parts], axis=1)
    return pal.intern(("fac-row", rows.shape[1]), rows)


# --- products -------------------------------------------------------------------------
def times_transposed(pal, x2, w: Fac):
    """``x2 @ w^T`` ([N, n] @ [n, m] -> [N, m]) for a structured ``w`` of m rows, n columns."""
    m, n = w.m, w.n
    N = x2.shape[0]
    if w.size <= factored.DIRECT_MAX:
        return K.matmul(pal, x2, w.materialise(pal).reshape(m, n).T)
    u = w.uniform()
    if u is not None:
        return np.ascontiguousarray(np.broadcast_to(K.matmul(pal, x2, np.full((n, 1), u, np.int64)), (N, m)))
    keys = w.row_keys()
    distinct, first = np.unique(keys, return_index=True)
    if len(distinct) * n <= factored.DIRECT_MAX:
        rows = w.at(pal, first[:, None], np.arange(n)[None, :])
        return np.ascontiguousarray(K.matmul(pal, x2, rows.T)[:, keys])
    if w.nonzero_distinct() and not _exposed(pal, w):
        return _by_rows(pal, x2, w)
    if w.size <= factored.MATERIALISE_MAX:
        return K.matmul(pal, x2, w.materialise(pal).reshape(m, n).T)
    raise cannot_keep(w, "its rows are neither few nor of distinct entries")


def _exposed(pal, w: Fac) -> bool:
    """Whether some tensor of this pass holds raw colours of ``w`` (then they may meet)."""
    return bool(getattr(pal, "exposed", None)) and any(
        g.tag in pal.exposed for g in (w.start, w.live) if g is not None and g.uniform is None)


def expose(pal, w: Fac):
    """Record that raw colours of ``w`` now sit in a tensor of this pass."""
    if not hasattr(pal, "exposed"):
        pal.exposed = set()
    pal.exposed.update(g.tag for g in (w.start, w.live) if g is not None and g.uniform is None)


def _by_rows(pal, x2, w: Fac):
    """``x2 @ w^T`` when every nonzero colour of ``w`` is in one entry only (and in no
    entry of ``x2``): a nonzero pair names its row of ``w`` and its column, so an
    output is fixed by its row of ``w`` and its row of ``x2`` on that row's support
    (``kernels._fast_dot`` with the rows of ``w`` named by structure)."""
    N, n = x2.shape
    ra = row_names(pal, w)
    which, supports = w.row_supports()
    out = np.empty((w.m, N), np.int64)
    nzx = x2 != ZERO
    tag = ("dot", n)
    for s, mask in enumerate(supports):
        sel = np.flatnonzero(which == s)
        if not len(sel):
            continue
        count = (nzx & mask[None, :]).sum(axis=1)                     # live pairs per row of x2
        rb = pal.intern(("dotrow", n), np.where(mask[None, :], x2, ZERO))
        block = pal.grid(tag, ra[sel], rb)                              # [len(sel), N]
        block[:, count == 0] = ZERO
        single = np.flatnonzero(count == 1)
        if len(single):
            k = np.argmax(nzx[single] & mask[None, :], axis=1)
            wi = w.at(pal, sel[:, None], k[None, :])
            block[:, single] = K.mul(pal, wi, x2[single, k][None, :])
        out[sel] = block
    return np.ascontiguousarray(out.T)


def outer(pal, a, bt, shape):
    """The gradient ``a @ bt^T`` ([m, N] @ [N, n]) of a structured parameter, as a ``Mark``
    (or entry by entry, when it is small or has no structure by rows and columns)."""
    m, n, N = a.shape[0], bt.shape[0], a.shape[1]
    if m * n <= factored.DIRECT_MAX:
        return K.matmul(pal, a, bt.T).reshape(shape)
    for x, y, swap in ((a, bt, False), (bt, a, True)):
        got = _outer_distinct(pal, x, y, N)
        if got is not None:
            grid, zx, zy = got
            zr, zc = (zy, zx) if swap else (zx, zy)
            return Mark(tuple(shape), grid.T if swap else grid, _none_if_empty(zr), _none_if_empty(zc))
    got = _outer_table(pal, a, bt, shape)
    if got is not None:
        return got
    if m * n <= factored.MATERIALISE_MAX:
        return K.matmul(pal, a, bt.T).reshape(shape)
    raise SymgradError(f"the gradient of a structured parameter {tuple(shape)} has no structure by rows "
                       f"and columns ({m * n:,} entries)")


def _none_if_empty(z):
    return z if z is not None and z.any() else None


def _outer_distinct(pal, x, y, N):
    """Rows of ``x`` whose nonzero colours are one per entry (and not in ``y``), all
    on one support S: the product's entry (i, j) is fixed by row i of ``x`` and row j
    of ``y`` on S.  Returns (grid over (x rows, y rows), zero rows of x, zero rows of y)."""
    nz = x != ZERO
    rows_live = nz.any(axis=1)
    if not rows_live.any():
        return None
    support = nz[np.argmax(rows_live)]
    if not (nz[rows_live] == support[None, :]).all() or not K.distinct_side(x, y):
        return None
    ya = np.where(support[None, :], y, ZERO)
    ra = pal.intern(("dotrow", N), x)
    rb = pal.intern(("dotrow", N), ya)
    return Grid(("dot", N), ra, rb), ~rows_live, ~(ya != ZERO).any(axis=1)


def _outer_table(pal, a, bt, shape):
    """The product on distinct rows only: a table grid over them (within its budget)."""
    ka, fa = np.unique(a, axis=0, return_inverse=True)
    kb, fb = np.unique(bt, axis=0, return_inverse=True)
    if len(ka) * len(kb) * a.shape[1] > OUTER_BUDGET or len(ka) * len(kb) > factored.TABLE_MAX:
        return None
    table = K.matmul(pal, ka, kb.T)
    return Mark(tuple(shape), table_grid(fa.reshape(-1), fb.reshape(-1), table))


# --- the rules ------------------------------------------------------------------------
@rule("aten.linear.default")
def linear(pal, x, w, b=None):
    if not fac(w) or fac(x) or fac(b) or w.c.ndim != 2:
        return None
    W = w.c
    m, n = W.m, W.n
    x2 = x.c.reshape(-1, n)
    y = times_transposed(pal, x2, W)
    if b is not None:
        y = K.add(pal, y, b.c[None, :])
    out = y.reshape(x.shape[:-1] + (m,))

    def vjp(d):
        d2 = d.reshape(-1, m)
        dx = times_transposed(pal, d2, W.T).reshape(x.shape) if wanted(x) else None
        dw = outer(pal, np.ascontiguousarray(d2.T), np.ascontiguousarray(x2.T), W.shape) if wanted(w) else None
        db = K.reduce_sum(pal, d2, [0]) if wanted(b) else None
        return back((x, dx), (w, dw), (b, db))
    return out, vjp


def _mm(pal, a, b):
    """``a @ b`` for 2-D operands, one of them structured."""
    if fac(b) and not fac(a):
        out = times_transposed(pal, a.c, b.c.T)

        def vjp(d):
            da = times_transposed(pal, d, b.c) if wanted(a) else None
            db = outer(pal, np.ascontiguousarray(a.c.T), np.ascontiguousarray(d.T), b.shape) if wanted(b) else None
            return back((a, da), (b, db))
        return out, vjp
    out = np.ascontiguousarray(times_transposed(pal, np.ascontiguousarray(b.c.T), a.c).T)

    def vjp(d):
        da = outer(pal, d, b.c, a.shape) if wanted(a) else None
        db = np.ascontiguousarray(times_transposed(pal, np.ascontiguousarray(d.T), a.c.T).T) if wanted(b) else None
        return back((a, da), (b, db))
    return out, vjp


@rule("aten.mm.default", "aten.matmul.default")
def mm(pal, a, b):
    if (fac(a) and fac(b)) or a.c.ndim != 2 or b.c.ndim != 2:
        return None
    return _mm(pal, a, b)


@rule("aten.addmm.default")
def addmm(pal, bias, m1, m2, beta=1, alpha=1):
    if fac(bias) or (fac(m1) and fac(m2)) or beta != 1 or alpha != 1:
        return None
    prod, vjp_mm = _mm(pal, m1, m2)
    out = K.add(pal, np.broadcast_to(bias.c, prod.shape), prod)

    def vjp(d):
        return back((bias, K.unbroadcast(pal, d, bias.shape) if wanted(bias) else None)) + vjp_mm(d)
    return out, vjp


@rule("aten.t.default", "aten.numpy_T.default")
def transpose2(pal, x):
    if x.c.ndim != 2:
        return None
    return x.c.T, lambda d: back((x, d.T if isinstance(d, Mark) else np.ascontiguousarray(d.T)))


@rule("aten.transpose.int", "aten.swapaxes.default")
def transpose(pal, x, a, b):
    if x.c.ndim != 2 or {a % 2, b % 2} != {0, 1}:
        return None
    return transpose2(pal, x)


@rule("aten.permute.default")
def permute(pal, x, dims):
    if x.c.ndim != 2 or [d % 2 for d in dims] != [1, 0]:
        return None
    return transpose2(pal, x)


@rule("aten.detach.default", "aten.alias.default", "aten.clone.default", "aten.contiguous.default",
      "aten.lift_fresh_copy.default")
def same(pal, x, *args, **kwargs):
    return x.c, lambda d: back((x, d))


@rule("aten.view.default", "aten.reshape.default", "aten._unsafe_view.default")
def view(pal, x, shape):
    new = tuple(int(s) for s in shape)
    if -1 in new:
        rest = int(np.prod([s for s in new if s != -1]))
        new = tuple(x.c.size // rest if s == -1 else s for s in new)
    if not new or new[0] != x.c.m or int(np.prod(new)) != x.c.size:
        return None
    old = x.c.shape
    return x.c.reshaped(new), lambda d: back((x, d.reshaped(old) if isinstance(d, Mark) else d.reshape(old)))


@rule("aten.embedding.default")
def embedding(pal, w, idx, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    if not fac(w) or fac(idx) or w.c.ndim != 2 or scale_grad_by_freq:
        return None
    W = w.c
    V, D = W.m, W.n
    if idx.v is not None:
        return _embedding_constant(pal, w, idx, padding_idx)
    colsig = row_names(pal, W.T)
    pos = np.broadcast_to(idx.c[..., None], idx.shape + (D,))
    out = K.elementwise(pal, "emb", pos, colsig)
    if len(np.unique(W.row_keys())) == 1:                 # every row the same: the entries themselves
        expose(pal, W)
        out = np.ascontiguousarray(np.broadcast_to(W.at(pal, 0, np.arange(D)), out.shape))

    def vjp(d):
        d2 = d.reshape(-1, D)
        if not wanted(w) or (d2 == ZERO).all():
            return back((w, zero_mark(W.shape)))
        silent = (d2 == ZERO).all(axis=0)
        dsig = pal.intern("embdcol", np.concatenate([d2.T, np.broadcast_to(idx.c.reshape(1, -1), d2.T.shape)], axis=1))
        rows = pal.intern("embrow", np.arange(V)[:, None])
        zr = np.zeros(V, bool)
        if padding_idx is not None and 0 <= padding_idx < V:
            zr[padding_idx] = True                       # torch never sends a gradient to the padding row
        return back((w, Mark(W.shape, Grid("emb'", rows, dsig), _none_if_empty(zr), _none_if_empty(silent))))
    return out, vjp


def _embedding_constant(pal, w, idx, padding_idx):
    """Rows picked by known indices: the picked entries themselves; each picked row's
    gradient sums its positions' deltas, every other row gets none."""
    W = w.c
    V, D = W.m, W.n
    ids = idx.v.detach().cpu().numpy().astype(np.int64)
    expose(pal, W)
    out = W.at(pal, ids[..., None], np.arange(D)).reshape(ids.shape + (D,))

    def vjp(d):
        keep = ids.ravel() != padding_idx if padding_idx is not None and padding_idx >= 0 else np.ones(ids.size, bool)
        picked, where = np.unique(ids.ravel()[keep], return_inverse=True)
        g = K.scatter_sum(pal, d.reshape(-1, D)[keep], (where.reshape(-1, 1) * D + np.arange(D)).ravel(),
                          len(picked) * D).reshape(len(picked), D)
        if not len(picked):
            return back((w, zero_mark(W.shape)))
        small = as_mark(g, g.shape)
        zr = np.ones(V, bool)
        zr[picked] = False if small.zero_rows is None else small.zero_rows
        grid = small.grid
        if grid.uniform is None:
            a = np.zeros(V, np.int64)
            a[picked] = grid.a
            grid = replace(grid, a=a)
        return back((w, Mark(W.shape, grid, _none_if_empty(zr), small.zero_cols)))
    return out, vjp
