"""The rule table ``SCALAR_RULES[aten_op]`` for the conversion to a scalar network.

A rule is ``rule(ctx, *args, **kwargs) -> Ref`` (or a list of them):
tensor arguments arrive as ``Ref``, ``ctx.e`` is the ``Emitter`` and
``ctx.alone(ref)`` says whether nothing but this op reads ``ref`` (so an
activation may sit on its neurons).  Products and sums are written as
``Term``s over index arrays: one broadcast of element indices per op, no
loop per element outside the emitter.
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..base.errors import SymgradError
from ..model.activations import SIGMOID, TANH, relu
from ..model.ops import CrossEntropy, Softmax, SquaredError
from .rules_loss import adaptive_windows, pool_windows
from .rules import SHAPE_OPS, index_map, registrar
from .rules_nn import conv_patches, conv_rules
from .scalar import Ref, Term

SCALAR_RULES: dict = {}


rule = registrar(SCALAR_RULES)


def unsupported(what: str) -> SymgradError:
    return SymgradError(f"{what} has no exact scalar form (symgrad lint analyses the model at the tensor level)")


def ref(x) -> Ref:
    """A tensor argument, or a Python number as a constant."""
    return x if isinstance(x, Ref) else Ref("const", np.array(float(x)))


def indices(shape) -> np.ndarray:
    return np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64).reshape(shape)


def broadcast(*shapes):
    """The broadcast shape and, per operand, the source element of every output element."""
    out = np.broadcast_shapes(*shapes)
    return out, [np.broadcast_to(indices(s), out).ravel() for s in shapes]


# --- shapes: the real op on element indices -------------------------------------------
def _shape_op(ctx, x, *args, **kwargs):
    name = ctx.op.split(".")[1]
    if name.endswith("_as"):
        import torch
        args = (torch.zeros(args[0].shape),) + tuple(args[1:])
    real = [a.a if isinstance(a, Ref) and a.kind == "const" else a for a in args]
    if any(isinstance(a, Ref) for a in real):
        raise unsupported(f"{ctx.op} with indices that depend on the data")
    real = [torch_long(a) if isinstance(a, np.ndarray) else a for a in real]
    maps, fill = index_map(ctx.target, x.shape, real, kwargs)
    outs = [_gather(ctx, x, m, fill) for m in maps]
    return outs if name in ("chunk", "split", "split_with_sizes", "unbind") else outs[0]


def torch_long(a):
    import torch
    return torch.as_tensor(a.astype(np.int64) if a.dtype.kind == "f" else a)


def _gather(ctx, x, src, fill):
    if not (src < 0).any():
        return x.at(x.a.ravel()[src])
    pad = Ref("const", np.array([fill]))
    base = x if x.kind == "const" else Ref("node", ctx.e.nodes(x))
    if base.kind == "node":
        pad = Ref("node", ctx.e.nodes(pad))
    flat = np.concatenate([base.a.ravel(), pad.a])
    return base.at(flat[np.where(src < 0, len(flat) - 1, src)])


for _name in SHAPE_OPS:
    SCALAR_RULES["aten." + _name] = _shape_op


@rule("aten.cat.default", "aten.stack.default", "aten.concat.default")
def cat(ctx, xs, dim=0):
    kinds = {x.kind for x in xs}
    arrays = [x.a for x in xs] if len(kinds) == 1 else [ctx.e.nodes(x) for x in xs]
    joined = (np.stack if ctx.op == "aten.stack.default" else np.concatenate)(arrays, dim)
    return Ref(kinds.pop() if len(kinds) == 1 else "node", joined)


@rule("aten.broadcast_tensors.default")
def broadcast_tensors(ctx, xs):
    out = np.broadcast_shapes(*(x.shape for x in xs))
    return [x.at(np.broadcast_to(x.a, out)) for x in xs]


@rule("aten._to_copy.default", "aten.to.dtype", "aten.to.device", "aten.to.dtype_layout",
      "aten.lift_fresh_copy.default")
def identity(ctx, x, *args, **kwargs):
    return x


@rule("aten.detach.default", "aten.detach_.default")
def detach(ctx, x):
    if x.kind in ("const", "target"):
        return x
    raise unsupported("detach (a value that passes no gradient)")


@rule("aten.dropout.default", "aten.dropout_.default", "aten.feature_dropout.default", "aten.alpha_dropout.default")
def dropout(ctx, x, p=0.5, train=True):
    if float(p) == 0 or not train:
        return x
    raise unsupported("dropout in train mode (a random mask at every step)")


# --- arithmetic ---------------------------------------------------------------------
def elementwise(ctx, a, b, coef_b=1.0, product=False, invert=False):
    a, b = ref(a), ref(b)
    out, (ia, ib) = broadcast(a.shape, b.shape)
    owner = indices(out).ravel()
    if product:
        return ctx.e.combine(out, [Term(owner, a, ia, b, ib, invert=invert)])
    return ctx.e.combine(out, [Term(owner, a, ia), Term(owner, b, ib, coef=coef_b)])


@rule("aten.add.Tensor", "aten.add.Scalar", "aten.add_.Tensor", "aten.add_.Scalar")
def add(ctx, a, b, alpha=1):
    return elementwise(ctx, a, b, coef_b=alpha)


@rule("aten.sub.Tensor", "aten.sub.Scalar", "aten.sub_.Tensor", "aten.sub_.Scalar")
def sub(ctx, a, b, alpha=1):
    return elementwise(ctx, a, b, coef_b=-alpha)


@rule("aten.rsub.Scalar", "aten.rsub.Tensor")
def rsub(ctx, a, b, alpha=1):
    return elementwise(ctx, b, a, coef_b=-alpha)


@rule("aten.mul.Tensor", "aten.mul.Scalar", "aten.mul_.Tensor", "aten.mul_.Scalar")
def mul(ctx, a, b):
    return elementwise(ctx, a, b, product=True)


@rule("aten.div.Tensor", "aten.div.Scalar", "aten.div_.Tensor", "aten.div_.Scalar")
def div(ctx, a, b):
    return elementwise(ctx, a, b, product=True, invert=True)


@rule("aten.neg.default")
def neg(ctx, x):
    return elementwise(ctx, x, -1.0, product=True)


@rule("aten.pow.Tensor_Scalar", "aten.square.default")
def power(ctx, x, p=2):
    if p == 1:
        return x
    if p != 2:
        raise unsupported(f"{ctx.op} with exponent {p}")
    return elementwise(ctx, x, x, product=True)


def _reduce(ctx, x, dim, keepdim, mean):
    dims = tuple(range(len(x.shape))) if dim in (None, []) else tuple(d % max(len(x.shape), 1) for d in
                                                                       ([dim] if isinstance(dim, int) else dim))
    kept = tuple(1 if d in dims else s for d, s in enumerate(x.shape))
    owner = np.broadcast_to(indices(kept), x.shape).ravel()
    count = int(np.prod([x.shape[d] for d in dims], dtype=np.int64)) if x.shape else 1
    out = ctx.e.combine(kept, [Term(owner, x, indices(x.shape).ravel(), coef=Fraction(1, count) if mean else 1)])
    shape = kept if keepdim else tuple(s for d, s in enumerate(x.shape) if d not in dims)
    return Ref(out.kind, out.a.reshape(shape), out.fresh)


@rule("aten.sum.default", "aten.sum.dim_IntList")
def sum_(ctx, x, dim=None, keepdim=False, dtype=None):
    return _reduce(ctx, x, dim, keepdim, mean=False)


@rule("aten.mean.default", "aten.mean.dim")
def mean(ctx, x, dim=None, keepdim=False, dtype=None):
    return _reduce(ctx, x, dim, keepdim, mean=True)


# --- activations -----------------------------------------------------------------------
ACTIVATIONS = {"relu": relu(0), "tanh": TANH, "sigmoid": SIGMOID}   # relu'(0) = 0, as torch's autograd


@rule(*(f"aten.{n}.default" for n in ACTIVATIONS), *(f"aten.{n}_.default" for n in ACTIVATIONS))
def activation(ctx, x):
    return ctx.e.activation(x, ACTIVATIONS[ctx.op.split(".")[1].rstrip("_")], ctx.alone(x))


@rule("aten.silu.default", "aten.silu_.default")
def silu(ctx, x):
    """``z * sigmoid(z)``: a product of the value and its sigmoid."""
    return elementwise(ctx, x, ctx.e.activation(x, SIGMOID, alone=False), product=True)


# --- matrix products and convolution ----------------------------------------------
def matmul_terms(a_shape, b_shape):
    """torch.matmul as index arrays: (output shape, owner, a index, b index) per term."""
    A, B = indices(a_shape), indices(b_shape)
    A2 = A[None, :] if A.ndim == 1 else A
    B2 = B[:, None] if B.ndim == 1 else B
    ia, ib = np.broadcast_arrays(A2[..., :, :, None], B2[..., None, :, :])
    full = ia.shape[:-3] + (ia.shape[-3], ia.shape[-1])
    owner = np.broadcast_to(indices(full)[..., :, None, :], ia.shape)
    shape = full[:-2] + ((full[-2],) if A.ndim > 1 else ()) + ((full[-1],) if B.ndim > 1 else ())
    return shape, owner.ravel(), ia.ravel(), ib.ravel()


@rule("aten.matmul.default", "aten.mm.default", "aten.bmm.default")
def matmul(ctx, a, b):
    shape, owner, ia, ib = matmul_terms(a.shape, b.shape)
    return ctx.e.combine(shape, [Term(owner, a, ia, b, ib)])


@rule("aten.addmm.default", "aten.baddbmm.default")
def addmm(ctx, bias, m1, m2, beta=1, alpha=1):
    shape, owner, ia, ib = matmul_terms(m1.shape, m2.shape)
    bias = ref(bias)
    ic = np.broadcast_to(indices(bias.shape), shape).ravel()
    return ctx.e.combine(shape, [Term(owner, m1, ia, m2, ib, coef=alpha),
                                 Term(indices(shape).ravel(), bias, ic, coef=beta)])


@rule("aten.linear.default")
def linear(ctx, x, w, b=None):
    shape, owner, ia, ib = matmul_terms(x.shape, w.shape[::-1])
    terms = [Term(owner, x, ia, w.at(w.a.T), ib)]
    if b is not None:
        terms.append(Term(indices(shape).ravel(), b, np.broadcast_to(indices(b.shape), shape).ravel()))
    return ctx.e.combine(shape, terms)


def _conv(ctx, x, w, b, stride, padding, dilation, groups):
    cp = conv_patches(x.shape, w.shape, stride, padding, dilation, groups)
    N, g, ck, L, cout = cp.batched_shape[0], cp.groups, cp.per_group, cp.positions, w.shape[0]
    xi = np.broadcast_to(cp.src.reshape(N, g, 1, ck, L), (N, g, cout // g, ck, L))
    wi = np.broadcast_to(indices(w.shape).reshape(1, g, cout // g, ck, 1), xi.shape)
    owner = np.broadcast_to(indices((N, cout, L)).reshape(N, g, cout // g, 1, L), xi.shape)
    live = xi >= 0
    terms = [Term(owner[live], x, xi[live], w, wi[live])]
    if b is not None:
        terms.append(Term(indices((N, cout, L)).ravel(), b,
                          np.broadcast_to(indices(b.shape)[None, :, None], (N, cout, L)).ravel()))
    out = ctx.e.combine((N, cout, L), terms)
    return Ref(out.kind, out.a.reshape(cp.out_shape), out.fresh)


conv_rules(rule, _conv)


@rule("aten.embedding.default")
def embedding(ctx, w, idx, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    if idx.kind != "const":
        raise unsupported("an embedding indexed by the data")
    return w.at(w.a[idx.a.astype(np.int64)])


# --- softmax, attention and losses --------------------------------------------------------
@rule("aten.softmax.int", "aten._softmax.default")
def softmax(ctx, x, dim, *rest):
    moved = np.moveaxis(ctx.e.nodes(x), dim, -1)
    return Ref("node", np.moveaxis(ctx.e.softmax_rows(moved), -1, dim))


@rule("aten.scaled_dot_product_attention.default")
def sdpa(ctx, q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None, enable_gqa=False):
    if attn_mask is not None or dropout_p or enable_gqa:
        raise unsupported("scaled_dot_product_attention with a mask, dropout or grouped queries")
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    kt = k.at(np.swapaxes(k.a, -1, -2))
    shape, owner, iq, ik = matmul_terms(q.shape, kt.shape)
    scores = ctx.e.nodes(ctx.e.combine(shape, [Term(owner, q, iq, kt, ik, coef=scale)]))
    rows = scores.reshape(-1, shape[-1])
    L, S = shape[-2], shape[-1]
    probs = np.empty(rows.shape, object)
    for r, row in enumerate(rows):
        allowed = np.arange(S) <= r % L if is_causal else np.ones(S, bool)
        probs[r, allowed] = ctx.e.softmax_rows(row[allowed][None])[0]
    zero = ctx.e.nodes(Ref("const", np.array(0.0)))
    p = Ref("node", np.where(probs == None, zero, probs).astype(np.int64).reshape(shape))  # noqa: E711
    return matmul(ctx, p, v)


def _scale_loss(ctx, nodes, reduction, count, unit=1):
    """``unit`` times the sum of ``nodes`` (the mean over ``count`` for reduction 1)."""
    if reduction == 0:
        raise unsupported("a loss with reduction='none'")
    coef = Fraction(unit, count) if reduction == 1 else unit
    nodes = np.asarray(nodes, np.int64).ravel()
    return ctx.e.combine((), [Term(np.zeros(len(nodes), np.int64), Ref("node", nodes), np.arange(len(nodes)), coef=coef)])


@rule("aten.mse_loss.default")
def mse_loss(ctx, x, t, reduction=1):
    """The mean (or sum) of squared differences: ``SquaredError`` (half the sum)
    times 2, over the targets; against a computed value, products written out."""
    if t.kind != "target":
        d = sub(ctx, x, t)
        return _scale_loss(ctx, ctx.e.nodes(power(ctx, d)), reduction, int(np.prod(d.shape, dtype=np.int64)))
    out, (ix, it) = broadcast(x.shape, t.shape)
    half = ctx.e.function("e", SquaredError(), ctx.e.nodes(x).ravel()[ix].tolist(), targets=list(t.a.ravel()[it]))
    return _scale_loss(ctx, [half], reduction, int(np.prod(out, dtype=np.int64)), unit=2)


@rule("aten.cross_entropy_loss.default")
def cross_entropy(ctx, x, t, weight=None, reduction=1, ignore_index=-100, label_smoothing=0.0):
    if weight is not None or label_smoothing:
        raise unsupported("cross_entropy with class weights or label smoothing")
    logits = ctx.e.nodes(x)
    logits = logits[None] if logits.ndim == 1 else np.moveaxis(logits, 1, -1)
    rows = logits.reshape(-1, logits.shape[-1])
    targets = _class_targets(ctx, t, rows.shape)
    losses = []
    for row, target in zip(rows.tolist(), targets):
        probs = ctx.e.softmax_rows(np.array([row]))[0].tolist()
        losses.append(ctx.e.function("l", CrossEntropy(), row, uses=probs, targets=target))
    return _scale_loss(ctx, losses, reduction, len(losses))


def _class_targets(ctx, t, shape):
    """One row of target symbols per row of logits: the given probabilities, or
    class labels as one-hot rows (fixed by the data)."""
    if t.kind == "target":
        return np.moveaxis(t.a, 1, -1).reshape(shape).tolist() if t.a.ndim > 1 else [t.a.ravel().tolist()]
    if t.kind != "const":
        raise unsupported("cross_entropy whose targets are computed from the model")
    labels = t.a.astype(np.int64).ravel()
    if (labels == -100).any():
        raise unsupported("cross_entropy with ignored labels")
    symbols = ctx.e.targets(shape).a
    for r, label in enumerate(labels.tolist()):
        for k in range(shape[1]):
            ctx.e.data[symbols[r, k]] = int(k == label)
    return symbols.tolist()


# --- average pooling: a fixed mean over each window ----------------------------------
def _window_mean(ctx, x, windows, oshape, divisor):
    n = len(windows)
    owner = np.broadcast_to(np.arange(n)[:, None], windows.shape)
    scale = np.broadcast_to(np.asarray(divisor, np.int64), (n,))
    coef = np.broadcast_to(scale[:, None], windows.shape)
    valid = windows >= 0
    terms = [Term(owner[valid & (coef == d)], x, windows[valid & (coef == d)], coef=Fraction(1, int(d)))
             for d in np.unique(scale).tolist()]
    out = ctx.e.combine((n,), terms)
    return Ref(out.kind, out.a.reshape(oshape), out.fresh)


@rule("aten.avg_pool2d.default", "aten.avg_pool1d.default")
def avg_pool(ctx, x, kernel_size, stride=(), padding=0, ceil_mode=False, count_include_pad=True,
             divisor_override=None):
    if ceil_mode:
        raise unsupported("average pooling with ceil_mode=True")
    nd = 1 if "1d" in ctx.op else 2
    windows, oshape, size = pool_windows(x.shape, kernel_size, stride, padding, 1, nd)
    return _window_mean(ctx, x, windows, oshape,
                        divisor_override or (size if count_include_pad else (windows >= 0).sum(axis=1)))


@rule("aten.adaptive_avg_pool2d.default", "aten.adaptive_avg_pool1d.default", "aten._adaptive_avg_pool2d.default")
def adaptive_avg_pool(ctx, x, output_size):
    windows, oshape = adaptive_windows(x.shape, list(output_size), 1 if "1d" in ctx.op else 2)
    return _window_mean(ctx, x, windows, oshape, (windows >= 0).sum(axis=1))
