"""Rules for pooling and losses.

Pooling windows are lists of source indices (found by unfolding the element
indices), reduced as multisets.  A loss's value gets a fresh colour (finer
is always sound); its delta is written from the softmax colours, the target
colours (generic data: any class may be the target) and the upstream delta.
"""

import numpy as np

from ..maths.palette import ONE, ZERO
from . import kernels as K
from .rules import back, rule, _unsupported


# --- pooling ---------------------------------------------------------------------
def pool_windows(shape, kernel, stride, padding, dilation, nd):
    """Windows of a (1-D or 2-D) pool as source indices [n_windows, T] (-1 absent)."""
    lead = shape[:-nd]
    planes = int(np.prod(lead))
    tup = lambda v, d: (tuple(v) * (nd if len(tuple(v)) == 1 else 1) if isinstance(v, (list, tuple)) and len(v) else (d,) * nd) if not isinstance(v, int) else (v,) * nd
    ks = tup(kernel, 1)
    st = tup(stride, None) if stride not in (None, [], ()) else ks
    pd, dl = tup(padding, 0), tup(dilation, 1)
    if nd == 1:
        ks, st, pd, dl = (1,) + ks, (1,) + st, (0,) + pd, (1,) + dl
        spatial = (1,) + tuple(shape[-1:])
    else:
        spatial = tuple(shape[-2:])
    src, osz = K.patches((planes, 1) + spatial, ks, st, pd, dl)
    windows = src.transpose(0, 2, 1).reshape(-1, src.shape[1])
    oshape = tuple(lead) + ((osz[1],) if nd == 1 else tuple(osz))
    return windows, oshape, int(np.prod(ks))


def adaptive_windows(shape, output_size, nd):
    lead, spatial = shape[:-nd], shape[-nd:]
    out = [int(o) if o is not None else s for o, s in zip(output_size, spatial)]
    axes = []
    for n_in, n_out in zip(spatial, out):
        i = np.arange(n_out)
        start, end = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        t = int((end - start).max())
        m = start[:, None] + np.arange(t)[None, :]
        axes.append(np.where(m < end[:, None], m, -1))
    if nd == 1:
        local = axes[0]
    else:
        r, c = axes
        rr = r[:, None, :, None]
        cc = c[None, :, None, :]
        local = np.where((rr >= 0) & (cc >= 0), rr * spatial[1] + cc, -1).reshape(out[0] * out[1], -1)
    planes = int(np.prod(lead))
    per = int(np.prod(spatial))
    win = np.where(local[None] >= 0, local[None] + per * np.arange(planes)[:, None, None], -1)
    return win.reshape(-1, local.shape[1]), tuple(lead) + tuple(out)


def _window_mean(pal, x, windows, oshape, divisor):
    n = len(windows)
    tg = np.broadcast_to(np.arange(n)[:, None], windows.shape)
    valid = windows >= 0
    vals = K.gather(x.c, windows)
    s = K.reduce_groups(pal, "sum", vals[valid], tg[valid], n, drop_zero=True)
    inv = pal.const(1.0 / np.asarray(divisor, np.float64) * np.ones(n))
    out = K.mul(pal, s, inv).reshape(oshape)

    def vjp(d):
        contrib = np.broadcast_to(K.mul(pal, d.reshape(-1), inv)[:, None], windows.shape)
        return back((x, K.gather_back(pal, contrib[valid], windows[valid], x.shape)))
    return out, vjp


def _window_max(pal, x, windows, oshape):
    """Max over each window; the delta goes to the first maximal member (torch's choice),
    so a member's share is fixed by its position in its window's ordered members."""
    n, t = windows.shape
    tg = np.broadcast_to(np.arange(n)[:, None], windows.shape)
    valid = windows >= 0
    vals = K.gather(x.c, windows, fill=-1)
    y = K.reduce_groups(pal, "max", vals[valid], tg[valid], n, drop_zero=False)
    seq = pal.intern("maxwin", vals)
    pos = np.broadcast_to(np.arange(t)[None, :], windows.shape)

    def vjp(d):
        dw = d.reshape(-1)
        c = K.elementwise(pal, "max'", pos, seq[:, None], dw[:, None])
        c = np.where(dw[:, None] == ZERO, ZERO, c)
        return back((x, K.gather_back(pal, c[valid], windows[valid], x.shape)))
    return y.reshape(oshape), vjp


@rule("aten.max_pool2d.default", "aten.max_pool1d.default", "aten.max_pool2d_with_indices.default")
def max_pool(pal, x, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False, *, _target):
    if ceil_mode:
        raise _unsupported("max pooling with ceil_mode=True")
    nd = 1 if "1d" in str(_target) else 2
    windows, oshape, _ = pool_windows(x.shape, kernel_size, stride, padding, dilation, nd)
    y, vjp = _window_max(pal, x, windows, oshape)
    if "with_indices" in str(_target):
        return [y, pal.fresh(oshape)], lambda ds: vjp(ds[0]) if ds[0] is not None else []
    return y, vjp


@rule("aten.avg_pool2d.default", "aten.avg_pool1d.default")
def avg_pool(pal, x, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None, *, _target):
    if ceil_mode:
        raise _unsupported("average pooling with ceil_mode=True")
    nd = 1 if "1d" in str(_target) else 2
    windows, oshape, size = pool_windows(x.shape, kernel_size, stride, padding, 1, nd)
    div = divisor_override or (size if count_include_pad else (windows >= 0).sum(axis=1))
    return _window_mean(pal, x, windows, oshape, div)


@rule("aten.adaptive_avg_pool2d.default", "aten.adaptive_avg_pool1d.default", "aten._adaptive_avg_pool2d.default")
def adaptive_avg_pool(pal, x, output_size, *, _target):
    nd = 1 if "1d" in str(_target) else 2
    windows, oshape = adaptive_windows(x.shape, list(output_size), nd)
    return _window_mean(pal, x, windows, oshape, (windows >= 0).sum(axis=1))


@rule("aten.adaptive_max_pool2d.default", "aten.adaptive_max_pool1d.default")
def adaptive_max_pool(pal, x, output_size, *, _target):
    nd = 1 if "1d" in str(_target) else 2
    windows, oshape = adaptive_windows(x.shape, list(output_size), nd)
    y, vjp = _window_max(pal, x, windows, oshape)
    return [y, pal.fresh(oshape)], lambda ds: vjp(ds[0]) if ds[0] is not None else []


for _f in (max_pool, avg_pool, adaptive_avg_pool, adaptive_max_pool):
    _f.wants_target = True


# --- losses ------------------------------------------------------------------------
def _row_delta(pal, d, reduction, m):
    """Upstream delta per loss term ([m]); mean folds in a 1/m (with no weights)."""
    if reduction == 0:
        return d.reshape(m)
    return np.broadcast_to(d.reshape(()), (m,))


@rule("aten.mse_loss.default")
def mse_loss(pal, x, t, reduction=1):
    diff = K.add(pal, x.c, K.neg(pal, t.c))
    sq = K.unary(pal, "square", diff, zero_at_zero=True)
    n = diff.size
    out = sq if reduction == 0 else K.reduce_sum(pal, sq, list(range(sq.ndim)))
    out = K.scale(pal, out, 1.0 / n) if reduction == 1 else out

    def vjp(d):
        dd = d if reduction == 0 else np.broadcast_to(d.reshape(()), diff.shape)
        dd = K.scale(pal, dd, 1.0 / n) if reduction == 1 else dd
        g = K.mul(pal, dd, K.unary(pal, "square'", diff, zero_at_zero=True))
        return back((x, g), (t, K.neg(pal, g)))
    return out, vjp


@rule("aten.l1_loss.default")
def l1_loss(pal, x, t, reduction=1):
    diff = K.add(pal, x.c, K.neg(pal, t.c))
    out = pal.fresh(diff.shape if reduction == 0 else ())

    def vjp(d):
        dd = d if reduction == 0 else np.broadcast_to(d.reshape(()), diff.shape)
        dd = K.scale(pal, dd, 1.0 / diff.size) if reduction == 1 else dd
        g = K.mul(pal, dd, K.unary(pal, "sign", diff, zero_at_zero=True))
        return back((x, g), (t, K.neg(pal, g)))
    return out, vjp


def _classes_last(c):
    """Logits [N, C, d...] (or [C]) as rows [M, C], and back."""
    if c.ndim == 1:
        return c[None], lambda r: r[0]
    moved = np.moveaxis(c, 1, -1)
    return moved.reshape(-1, c.shape[1]), lambda r: np.moveaxis(r.reshape(moved.shape), -1, 1)


def _class_delta(pal, tag, sm, t, w, d_row, ignore_index, extra=None):
    """Delta of the loss wrt each class entry: from (sm, target, class, delta, op token)."""
    M, C = (d_row.shape[0], sm.shape[1]) if sm is not None else (d_row.shape[0], extra)
    token = pal.intern(tag + "#", np.concatenate([t.c.ravel()] + ([w.c.ravel()] if w is not None else []))[None, :])[0]
    cls = pal.intern("class", np.arange(C)[:, None])
    sm = np.full((M, C), ONE, np.int64) if sm is None else sm
    if t.v is not None:                                    # known targets: the one-hot is exact
        ids = t.v.detach().cpu().numpy().reshape(-1).astype(np.int64)
        hot = np.where(ids[:, None] == np.arange(C)[None, :], ONE, ZERO)
        wt = w.c[np.clip(ids, 0, C - 1)] if w is not None else np.full(M, ONE, np.int64)
        g = K.elementwise(pal, tag, sm, hot, wt[:, None], d_row[:, None], np.full((M, C), token))
        if tag.startswith("nll"):
            g = np.where(hot == ONE, g, ZERO)
        g = np.where((ids == ignore_index)[:, None], ZERO, g)
    else:
        tc = t.c.reshape(-1)
        g = K.elementwise(pal, tag + "?", sm, tc[:, None], cls[None, :], d_row[:, None], np.full((M, C), token))
    return np.where(d_row[:, None] == ZERO, ZERO, g)


@rule("aten.cross_entropy_loss.default")
def cross_entropy(pal, x, t, weight=None, reduction=1, ignore_index=-100, label_smoothing=0.0):
    rows, unrows = _classes_last(x.c)
    M, C = rows.shape
    out = pal.fresh((x.shape[:1] + x.shape[2:] if x.c.ndim > 1 else ()) if reduction == 0 else ())
    groups, ng = K.last_axis_groups(rows.shape, [1])
    sm = K.row_stats(pal, "softmax", rows, groups, ng)     # the same colours as softmax(x)

    def vjp(d):
        d_row = _row_delta(pal, d, reduction, M)
        tag = f"ce'{reduction}{label_smoothing}"
        if t.floating:                                     # class probabilities as targets
            trow, _ = _classes_last(t.c)
            tsum = K.reduce_groups(pal, "tsum", trow, groups, ng, drop_zero=False, single=False)
            wc = np.broadcast_to(weight.c[None, :], (M, C)) if weight is not None else np.full((M, C), ONE)
            g = K.elementwise(pal, tag + "p", sm, trow, tsum[:, None], wc, d_row[:, None])
            g = np.where(d_row[:, None] == ZERO, ZERO, g)
        else:
            g = _class_delta(pal, tag, sm, t, weight, d_row, ignore_index)
        return back((x, unrows(g).reshape(x.shape)))
    return out, vjp


@rule("aten.nll_loss.default", "aten.nll_loss_nd.default", "aten.nll_loss2d.default")
def nll_loss(pal, x, t, weight=None, reduction=1, ignore_index=-100):
    rows, unrows = _classes_last(x.c)
    M, C = rows.shape
    out = pal.fresh(t.shape if reduction == 0 else ())

    def vjp(d):
        d_row = _row_delta(pal, d, reduction, M)
        g = _class_delta(pal, f"nll'{reduction}", None, t, weight, d_row, ignore_index, extra=C)
        return back((x, unrows(g).reshape(x.shape)))
    return out, vjp


@rule("aten.binary_cross_entropy_with_logits.default")
def bce_logits(pal, x, t, weight=None, pos_weight=None, reduction=1):
    out = pal.fresh(x.shape if reduction == 0 else ())

    def vjp(d):
        dd = d if reduction == 0 else np.broadcast_to(d.reshape(()), x.shape)
        dd = K.scale(pal, dd, 1.0 / x.c.size) if reduction == 1 else dd
        cols = [x.c, t.c, dd] + [np.broadcast_to(q.c, x.shape) for q in (weight, pos_weight) if q is not None]
        g = np.where(dd == ZERO, ZERO, K.elementwise(pal, f"bce'{weight is None}{pos_weight is None}", *cols))
        return back((x, g))
    return out, vjp
