"""Rules for network layers: linear and matmul family, convolution, embedding,
normalisation, softmax and attention.  Each is written in the colour kernels;
pooling and losses are in ``rules_loss``."""

from dataclasses import dataclass

import numpy as np

from ..maths.palette import ZERO
from . import kernels as K
from . import rules_loss  # noqa: F401  (registers pooling and losses)
from .rules import back, rule, wanted, zeros_only, _unsupported


# --- matrix products ----------------------------------------------------------
def _mm(pal, a, b):
    """torch.matmul on colours, with its vjp (1-D operands and batch broadcasting)."""
    A = a.c[None, :] if a.c.ndim == 1 else a.c
    B = b.c[:, None] if b.c.ndim == 1 else b.c
    out = K.matmul(pal, A, B)
    full_shape = out.shape
    if a.c.ndim == 1:
        out = out[..., 0, :]
    if b.c.ndim == 1:
        out = out[..., 0]

    def vjp(d):
        d = d.reshape(full_shape)
        da = K.unbroadcast(pal, K.matmul(pal, d, K.transpose2(B)), A.shape).reshape(a.shape) if wanted(a) else None
        db = K.unbroadcast(pal, K.matmul(pal, K.transpose2(A), d), B.shape).reshape(b.shape) if wanted(b) else None
        return back((a, da), (b, db))
    return out, vjp


@rule("aten.matmul.default", "aten.mm.default", "aten.bmm.default")
def matmul(pal, a, b):
    return _mm(pal, a, b)


@rule("aten.addmm.default", "aten.baddbmm.default")
def addmm(pal, bias, m1, m2, beta=1, alpha=1):
    """beta * bias + alpha * (m1 @ m2)."""
    prod, vjp_mm = _mm(pal, m1, m2)
    p = prod if alpha == 1 else K.scale(pal, prod, alpha)
    bc = bias.c if beta == 1 else K.scale(pal, bias.c, beta)
    out = K.add(pal, np.broadcast_to(bc, p.shape), p)

    def vjp(d):
        dp = d if alpha == 1 else K.scale(pal, d, alpha)
        db = d if beta == 1 else K.scale(pal, d, beta)
        return back((bias, K.unbroadcast(pal, db, bias.shape) if wanted(bias) else None)) + vjp_mm(dp)
    return out, vjp


@rule("aten.linear.default")
def linear(pal, x, w, b=None):
    """y = x W^T + b over the last axis of x."""
    x2 = x.c.reshape(-1, x.shape[-1])
    y = K.matmul(pal, x2, w.c.T)
    if b is not None:
        y = K.add(pal, y, b.c[None, :])
    out = y.reshape(x.shape[:-1] + (w.shape[0],))

    def vjp(d):
        d2 = d.reshape(-1, w.shape[0])
        return back((x, K.matmul(pal, d2, w.c).reshape(x.shape) if wanted(x) else None),
                    (w, _weight_delta(pal, w, d2.T, x2)),
                    (b, K.reduce_sum(pal, d2, [0]) if wanted(b) else None))
    return out, vjp


def _weight_delta(pal, w, a, b):
    """The delta ``a @ b`` of a weight: its colours, or only where it is not provably
    zero when that is all ``w`` wants (no name per element)."""
    if not wanted(w):
        return None
    return K.live(a, b) if zeros_only(w) else K.matmul(pal, a, b)


# --- convolution: a matmul over patches found by unfolding the element indices ---
def per_dim(v, nd):
    return tuple(v) * (nd if len(tuple(v)) == 1 else 1) if isinstance(v, (list, tuple)) else (int(v),) * nd


@dataclass(frozen=True)
class ConvPatches:
    """A 1-D or 2-D convolution's patches: ``src[n, c*k, l]`` is the input element
    (batched, -1 for padding) under each filter tap at each output position."""

    src: np.ndarray
    batched_shape: tuple     # the input with its batch axis
    out_shape: tuple         # the output as torch gives it (no batch axis for an unbatched input)
    groups: int
    per_group: int           # input channels times taps, per group
    positions: int


def conv_patches(x_shape, w_shape, stride, padding, dilation, groups) -> ConvPatches:
    nd = len(w_shape) - 2
    if nd not in (1, 2):
        raise _unsupported(f"convolution in {nd} dimensions (1-D and 2-D are supported)")
    unbatched = len(x_shape) == nd + 1
    xs = (1,) + tuple(x_shape) if unbatched else tuple(x_shape)
    ks = tuple(w_shape[2:])
    if isinstance(padding, str):
        if padding == "valid":
            padding = 0
        elif all((dilation if isinstance(dilation, int) else dilation[0]) * (k - 1) % 2 == 0 for k in ks):
            padding = [(per_dim(dilation, nd)[i] * (k - 1)) // 2 for i, k in enumerate(ks)]
        else:
            raise _unsupported("padding='same' with an asymmetric padding")
    st, pd, dl = per_dim(stride, nd), per_dim(padding, nd), per_dim(dilation, nd)
    if nd == 1:
        shape4, ks, st, pd, dl = (xs[0], xs[1], 1, xs[2]), (1,) + ks, (1,) + st, (0,) + pd, (1,) + dl
    else:
        shape4 = xs
    src, osz = K.patches(shape4, ks, st, pd, dl)
    oshape = (xs[0], w_shape[0]) + ((osz[1],) if nd == 1 else tuple(osz))
    g = int(groups)
    return ConvPatches(src, xs, oshape[1:] if unbatched else oshape, g, (xs[1] // g) * int(np.prod(ks)), src.shape[-1])


def _conv(pal, x, w, b, stride, padding, dilation, groups):
    cp = conv_patches(x.shape, w.shape, stride, padding, dilation, groups)
    src, xc, g, ck, L = cp.src, x.c.reshape(cp.batched_shape), cp.groups, cp.per_group, cp.positions
    N, cout = cp.batched_shape[0], w.shape[0]
    P = K.gather(xc, src).reshape(N, g, ck, L)
    W = w.c.reshape(g, cout // g, ck)
    Y = K.matmul(pal, W[None], P).reshape(N, cout, L)
    if b is not None:
        Y = K.add(pal, Y, b.c[None, :, None])
    out = Y.reshape(cp.out_shape)

    def vjp(d):
        d3 = d.reshape(N, g, cout // g, L)
        P2 = P.transpose(1, 2, 0, 3).reshape(g, ck, N * L)
        D2 = d3.transpose(1, 2, 0, 3).reshape(g, cout // g, N * L)
        dw = _weight_delta(pal, w, D2, K.transpose2(P2))
        dw = dw.reshape(w.shape) if dw is not None else None
        dx = None
        if wanted(x):
            dP = K.matmul(pal, K.transpose2(W)[None], d3).reshape(N, g * ck, L)
            dx = K.gather_back(pal, dP, src, xc.shape).reshape(x.shape)
        db = K.reduce_sum(pal, d3.reshape(N, cout, L), [0, 2]) if wanted(b) else None
        return back((x, dx), (w, dw), (b, db))
    return out, vjp


def conv_rules(rule, impl):
    """Register ``impl(ctx, x, w, b, stride, padding, dilation, groups)`` for the
    aten convolutions (``rule`` is a table's decorator; the lint's and the
    scalar conversion's tables share this)."""
    @rule("aten.conv1d.default", "aten.conv2d.default", "aten.conv1d.padding", "aten.conv2d.padding")
    def conv(ctx, x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
        return impl(ctx, x, w, b, stride, padding, dilation, groups)

    @rule("aten.convolution.default")
    def convolution(ctx, x, w, b, stride, padding, dilation, transposed, output_padding, groups):
        if transposed:
            raise _unsupported("transposed convolution")
        return impl(ctx, x, w, b, stride, padding, dilation, groups)


conv_rules(rule, _conv)


# --- embedding -----------------------------------------------------------------
@rule("aten.embedding.default")
def embedding(pal, w, idx, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """Rows of w picked by idx.  Constant indices: an exact gather.  Data indices
    (any values): an element is fixed by its position's index colour and its
    column of w; the gradient of w[v, j] by v and the column of deltas."""
    V, D = w.shape
    if scale_grad_by_freq:
        raise _unsupported("embedding with scale_grad_by_freq")
    if idx.v is not None:
        ids = idx.v.detach().cpu().numpy().astype(np.int64)
        src = ids[..., None] * D + np.arange(D)
        out = K.gather(w.c, src)
        keep = np.broadcast_to((ids != padding_idx)[..., None] if padding_idx >= 0 else True, src.shape)
        return out, lambda d: back((w, K.gather_back(pal, d, np.where(keep, src, -1), w.shape) if wanted(w) else None))
    col_const = (w.c == w.c[:1]).all(axis=0)
    colsig = pal.intern("embcol", w.c.T)
    pos = np.broadcast_to(idx.c[..., None], idx.shape + (D,))
    out = K.elementwise(pal, "emb", pos, colsig)
    out = np.where(col_const, np.broadcast_to(w.c[0], out.shape), out)

    def vjp(d):
        d2 = d.reshape(-1, D)
        if not wanted(w) or (d2 == ZERO).all():
            return []
        silent = (d2 == ZERO).all(axis=0)[None, :]        # a delta column that is zero throughout
        if zeros_only(w):                                 # not zero where its delta column is not
            g = np.broadcast_to(~silent, (V, D)).copy()
        else:
            dsig = pal.intern("embdcol", np.concatenate([d2.T, np.broadcast_to(idx.c.reshape(1, -1), d2.T.shape)], axis=1))
            rows = pal.intern("embrow", np.arange(V)[:, None])
            g = np.where(silent, ZERO, pal.grid("emb'", rows, dsig))   # the pairs (row, delta column)
        if padding_idx is not None and 0 <= padding_idx < V:
            g[padding_idx] = ZERO                 # torch never sends a gradient to the padding row
        return back((w, g))
    return out, vjp


# --- normalisation ---------------------------------------------------------------
def _norm(pal, tag, x, groups, ng, w, b, pshape):
    """(x - mean)/sqrt(var + eps) (or x/rms) over groups, then * w + b (shaped pshape)."""
    xh = K.normalise(pal, tag, x.c, groups, ng)
    wc = w.c.reshape(pshape) if w is not None else None
    bc = b.c.reshape(pshape) if b is not None else None
    y = K.mul(pal, xh, wc) if wc is not None else xh
    y = K.add(pal, y, bc) if bc is not None else y

    def vjp(d):
        dx = None
        if wanted(x):
            dxh = K.mul(pal, d, wc) if wc is not None else d
            dx = K.normalise_back(pal, tag + "'", x.c, dxh, groups, ng)
        dw = K.unbroadcast(pal, K.mul(pal, d, xh), pshape).reshape(w.shape) if wanted(w) else None
        db = K.unbroadcast(pal, d, pshape).reshape(b.shape) if wanted(b) else None
        return back((x, dx), (w, dw), (b, db))
    return y, vjp


def _extra(pal, main, shapes):
    """Side outputs (saved statistics): fresh colours; a gradient through them is refused."""
    y, vjp = main

    def vjp_all(ds):
        if any(d is not None for d in ds[1:]):
            raise _unsupported("a gradient through saved normalisation statistics")
        return vjp(ds[0])
    return [y] + [pal.fresh(s) for s in shapes], vjp_all


@rule("aten.layer_norm.default")
def layer_norm(pal, x, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    axes = list(range(x.c.ndim - len(normalized_shape), x.c.ndim))
    groups, ng = K.last_axis_groups(x.shape, axes)
    return _norm(pal, f"ln{eps}", x, groups, ng, weight, bias, tuple(normalized_shape))


@rule("aten.native_layer_norm.default")
def native_layer_norm(pal, x, normalized_shape, weight, bias, eps):
    stat = x.shape[:x.c.ndim - len(normalized_shape)] + (1,) * len(normalized_shape)
    return _extra(pal, layer_norm(pal, x, normalized_shape, weight, bias, eps), [stat, stat])


@rule("aten.rms_norm.default")
def rms_norm(pal, x, normalized_shape, weight=None, eps=None):
    axes = list(range(x.c.ndim - len(normalized_shape), x.c.ndim))
    groups, ng = K.last_axis_groups(x.shape, axes)
    return _norm(pal, f"rms{eps}", x, groups, ng, weight, None, tuple(normalized_shape))


def _channel_shape(x):
    return (x.shape[1],) + (1,) * (x.c.ndim - 2)


@rule("aten.batch_norm.default")
def batch_norm(pal, x, w, b, rm, rv, training, momentum=0.1, eps=1e-5, cudnn_enabled=True):
    cs = _channel_shape(x)
    if training or rm is None:
        axes = [a for a in range(x.c.ndim) if a != 1]
        groups, ng = K.last_axis_groups(x.shape, axes)
        return _norm(pal, f"bn{eps}", x, groups, ng, w, b, cs)
    xh = K.elementwise(pal, f"bneval{eps}", x.c, rm.c.reshape(cs), rv.c.reshape(cs))
    inv = K.unary(pal, f"bneval{eps}'", rv.c.reshape(cs), zero_at_zero=False)
    wc = w.c.reshape(cs) if w is not None else None
    bc = b.c.reshape(cs) if b is not None else None
    y = K.mul(pal, xh, wc) if wc is not None else xh
    y = K.add(pal, y, bc) if bc is not None else y

    def vjp(d):
        dxh = K.mul(pal, d, wc) if wc is not None else d
        return back((x, K.mul(pal, dxh, inv)),
                    (w, K.unbroadcast(pal, K.mul(pal, d, xh), cs).reshape(w.shape) if w is not None else None),
                    (b, K.unbroadcast(pal, d, cs).reshape(b.shape) if b is not None else None))
    return y, vjp


@rule("aten._native_batch_norm_legit_functional.default", "aten.native_batch_norm.default",
      "aten._native_batch_norm_legit.default", "aten._native_batch_norm_legit_no_training.default",
      "aten._native_batch_norm_legit.no_stats")
def native_batch_norm(pal, x, w, b, *rest):
    if len(rest) == 3:                       # no_stats: (training, momentum, eps)
        rm = rv = None
        training, momentum, eps = rest
    elif len(rest) == 4:                     # no_training: (rm, rv, momentum, eps)
        (rm, rv, momentum, eps), training = rest, False
    else:
        rm, rv, training, momentum, eps = rest
    C = x.shape[1]
    n_side = 4 if rm is not None and len(rest) == 5 and training else 2
    return _extra(pal, batch_norm(pal, x, w, b, rm, rv, training, momentum, eps), [(C,)] * n_side)


@rule("aten.group_norm.default")
def group_norm(pal, x, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    N, C = x.shape[:2]
    per = C // num_groups
    g = (np.arange(N)[:, None] * num_groups + np.arange(C)[None, :] // per)
    groups = np.ascontiguousarray(np.broadcast_to(g.reshape((N, C) + (1,) * (x.c.ndim - 2)), x.shape))
    return _norm(pal, f"gn{eps}", x, groups, N * num_groups, weight, bias, _channel_shape(x))


# --- softmax and attention ---------------------------------------------------------
def _softmax_c(pal, tag, xc, dim):
    """Softmax (or log-softmax) colours over ``dim`` and the vjp on colours."""
    groups, ng = K.last_axis_groups(xc.shape, [dim])
    y = K.row_stats(pal, tag, xc, groups, ng)
    ninf = pal.const(np.array([-np.inf]))[0]
    masked = xc == ninf
    if tag == "softmax" and masked.any():
        finite_rows = np.bincount(groups.ravel(), weights=(~masked).ravel(), minlength=ng) > 0
        y = np.where(masked & finite_rows[groups], ZERO, y)       # exp(-inf) = 0 exactly

    def vjp(d):
        dx = K.normalise_back(pal, tag + "'", xc, d, groups, ng)
        return np.where(masked, ZERO, dx) if tag == "softmax" else dx
    return y, vjp


@rule("aten.softmax.int", "aten._softmax.default", "aten.log_softmax.int", "aten._log_softmax.default",
      "aten.special_softmax.int")
def softmax(pal, x, dim, *rest, _target):
    tag = "log_softmax" if "log_softmax" in str(_target) else "softmax"
    y, vjp = _softmax_c(pal, tag, x.c, dim)
    return y, lambda d: back((x, vjp(d)))


softmax.wants_target = True


@rule("aten.scaled_dot_product_attention.default")
def sdpa(pal, q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    """softmax(q k^T * scale + mask) v, composed of the matmul, softmax and mask kernels."""
    if enable_gqa:
        raise _unsupported("scaled_dot_product_attention with enable_gqa")
    E = q.shape[-1]
    s = float(scale) if scale is not None else 1.0 / np.sqrt(E)
    kt = K.transpose2(k.c)
    raw = K.matmul(pal, q.c, kt)
    scores = K.scale(pal, raw, s)
    L, S = scores.shape[-2:]
    ninf = pal.const(np.array([-np.inf]))[0]
    keep = None
    if is_causal:
        keep = np.tril(np.ones((L, S), bool))
    if attn_mask is not None and attn_mask.v is not None and not attn_mask.v.is_floating_point():
        m = attn_mask.v.detach().cpu().numpy().astype(bool)
        keep = m if keep is None else keep & m
    elif attn_mask is not None and attn_mask.floating:
        scores = K.add(pal, scores, attn_mask.c)
    elif attn_mask is not None:
        raise _unsupported("a boolean attention mask that depends on the inputs")
    if keep is not None:
        scores = np.where(np.broadcast_to(keep, scores.shape), scores, ninf)
    attn, sm_vjp = _softmax_c(pal, "softmax", scores, -1)
    mask = None
    if dropout_p and float(dropout_p) > 0:
        mask = pal.fresh(attn.shape)
        attn_d = K.mul(pal, attn, mask)
    else:
        attn_d = attn
    out = K.matmul(pal, attn_d, v.c)

    def vjp(d):
        dv = K.unbroadcast(pal, K.matmul(pal, K.transpose2(attn_d), d), v.shape)
        da = K.matmul(pal, d, K.transpose2(v.c))
        if mask is not None:
            da = K.mul(pal, da, mask)
        ds = sm_vjp(da)
        if keep is not None:
            ds = np.where(np.broadcast_to(keep, ds.shape), ds, ZERO)
        dm = K.unbroadcast(pal, ds, attn_mask.shape) if attn_mask is not None and attn_mask.floating else None
        dr = K.scale(pal, ds, s)
        dq = K.unbroadcast(pal, K.matmul(pal, dr, k.c), q.shape)
        dk = K.unbroadcast(pal, K.matmul(pal, K.transpose2(dr), q.c), k.shape)
        return back((q, dq), (k, dk), (v, dv), (attn_mask, dm))
    return out, vjp
