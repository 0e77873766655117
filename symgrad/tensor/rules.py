"""The rule table ``RULES[aten_op]``: elementwise, arithmetic, reductions, shape ops.

A rule is ``rule(pal, *args, **kwargs) -> (out, vjp)``: tensor arguments
arrive as ``T`` (colours ``.c``, known constant value ``.v`` or None),
``out`` is a colour array (or a list of them) and ``vjp(d)`` returns the
delta contributions ``[(T, colours), ...]`` for its tensor inputs, written
with the same kernels.  Network-level ops live in ``rules_nn``.
"""

import numpy as np

from ..base.errors import SymgradError
from ..maths.palette import ZERO
from . import kernels as K

RULES = {}


class T:
    """A tensor during one pass: colours, its value when it is a known constant, and
    whether its delta is wanted (a parameter whose gradient is asked for lies behind it)."""

    __slots__ = ("c", "v", "floating", "wants")

    def __init__(self, c, v=None, floating=True, wants=True):
        self.c, self.v, self.floating, self.wants = c, v, floating, wants

    @property
    def shape(self):
        return self.c.shape


def registrar(table: dict):
    """The decorator that registers one rule of ``table`` under several aten op names."""
    def rule(*names):
        def register(fn):
            for name in names:
                table[name] = fn
            return fn
        return register
    return rule


rule = registrar(RULES)


def colours(pal, x, shape=()):
    """Colours of a tensor argument, or of a Python number as a constant."""
    if isinstance(x, T):
        return x.c
    return K.const_like(pal, float(x), shape)


ZEROS = "zeros"   # a parameter that wants only where its gradient is provably zero


def wanted(t) -> bool:
    """Whether a rule should compute the delta of ``t`` (a tensor that wants it)."""
    return isinstance(t, T) and bool(t.wants)


def zeros_only(t) -> bool:
    """Whether ``t`` wants only the pattern of its delta: a bool array, True where the
    delta is not provably zero (a rule may also give the colours)."""
    return isinstance(t, T) and t.wants == ZEROS


def back(*pairs):
    """Keep only the tensor inputs that want their delta among (input, delta) pairs."""
    return [(t, d) for t, d in pairs if wanted(t) and d is not None]


# --- elementwise functions: (f(0) == 0, f'(0) == 0) -------------------------
UNARY = {
    "relu": (True, True), "gelu": (True, False), "silu": (True, False),
    "tanh": (True, False), "sigmoid": (False, False), "neg": (True, False),
    "exp": (False, False), "abs": (True, True), "sin": (True, False),
    "cos": (False, True), "erf": (True, False), "softplus": (False, False),
    "elu": (True, False), "leaky_relu": (True, False), "hardtanh": (True, False),
    "square": (True, True), "mish": (True, False), "hardswish": (True, False),
    "selu": (True, False), "celu": (True, False), "sign": (True, True),
}


def _unary_rule(name, zero_at_zero, slope_zero_at_zero):
    def fn(pal, x, *params, **kw):
        tag = f"{name}{params}{sorted(kw.items())}"
        y = K.unary(pal, tag, x.c, zero_at_zero)

        def vjp(d):
            slope = K.unary(pal, tag + "'", x.c, slope_zero_at_zero)
            return back((x, K.mul(pal, d, slope)))
        return y, vjp
    return fn


for _name, (_z, _dz) in UNARY.items():
    rule(f"aten.{_name}.default", f"aten.{_name}_.default")(_unary_rule(_name, _z, _dz))


@rule("aten.pow.Tensor_Scalar")
def pow_scalar(pal, x, p):
    p = float(p)
    if p == 1.0:
        return x.c, lambda d: back((x, d))
    if not (p == int(p) and p > 1):
        raise _unsupported("pow with exponent %r (only integers > 1: derivative finite at 0)" % p)
    return _unary_rule(f"pow{p}", True, True)(pal, x)


def _unsupported(what):
    return SymgradError(what)


# --- arithmetic -------------------------------------------------------------
def _add(sign_a, sign_b):
    def fn(pal, a, b, alpha=1):
        shape = np.broadcast_shapes(np.shape(getattr(a, "c", 0)), np.shape(getattr(b, "c", 0)))
        ca, cb = colours(pal, a, shape), colours(pal, b, shape)
        sa, sb = sign_a, sign_b * alpha
        ta = ca if sa == 1 else K.scale(pal, ca, sa)
        tb = cb if sb == 1 else K.scale(pal, cb, sb)
        out = K.add(pal, ta, tb)

        def vjp(d):
            da = d if sa == 1 else K.scale(pal, d, sa)
            db = d if sb == 1 else K.scale(pal, d, sb)
            return back((a, K.unbroadcast(pal, da, np.shape(ca))),
                        (b, K.unbroadcast(pal, db, np.shape(cb))))
        return out, vjp
    return fn


for _n in ("aten.add.Tensor", "aten.add.Scalar", "aten.add_.Tensor", "aten.add_.Scalar"):
    RULES[_n] = _add(1, 1)
for _n in ("aten.sub.Tensor", "aten.sub.Scalar", "aten.sub_.Tensor"):
    RULES[_n] = _add(1, -1)
for _n in ("aten.rsub.Scalar", "aten.rsub.Tensor"):
    RULES[_n] = _add(-1, 1)


@rule("aten.mul.Tensor", "aten.mul.Scalar", "aten.mul_.Tensor", "aten.mul_.Scalar")
def mul(pal, a, b):
    shape = np.broadcast_shapes(np.shape(getattr(a, "c", 0)), np.shape(getattr(b, "c", 0)))
    ca, cb = colours(pal, a, shape), colours(pal, b, shape)
    out = K.mul(pal, ca, cb)

    def vjp(d):
        return back((a, K.unbroadcast(pal, K.mul(pal, d, cb), np.shape(ca))),
                    (b, K.unbroadcast(pal, K.mul(pal, d, ca), np.shape(cb))))
    return out, vjp


@rule("aten.div.Tensor", "aten.div.Scalar", "aten.div_.Tensor", "aten.div_.Scalar")
def div(pal, a, b):
    if not isinstance(b, T):
        if float(b) == 0.0:
            raise _unsupported("division by the constant 0")
        return mul(pal, a, 1.0 / float(b))
    shape = np.broadcast_shapes(np.shape(getattr(a, "c", 0)), b.shape)
    ca, cb = np.broadcast_to(colours(pal, a, shape), shape), b.c
    if (cb == ZERO).any():
        raise _unsupported("division by a tensor that is exactly 0")
    out = np.where(ca == ZERO, ZERO, K.elementwise(pal, "div", ca, cb))   # 0 / b = 0

    def vjp(d):
        da = np.where(d == ZERO, ZERO, K.elementwise(pal, "div", d, cb))
        db = K.elementwise(pal, "div'", d, ca, cb)          # -d * a / b**2
        db = np.where((d == ZERO) | (ca == ZERO), ZERO, db)
        return back((a, K.unbroadcast(pal, da, np.shape(getattr(a, "c", 0)))),
                    (b, K.unbroadcast(pal, db, cb.shape)))
    return out, vjp


@rule("aten.where.self", "aten.where.ScalarSelf", "aten.where.ScalarOther", "aten.where.Scalar")
def where(pal, cond, a, b):
    shape = np.broadcast_shapes(cond.shape, np.shape(getattr(a, "c", 0)), np.shape(getattr(b, "c", 0)))
    ca, cb = colours(pal, a, shape), colours(pal, b, shape)
    if cond.v is not None:
        m = np.broadcast_to(cond.v.detach().cpu().numpy().astype(bool), shape)
        out = np.where(m, np.broadcast_to(ca, shape), np.broadcast_to(cb, shape))
        pick = lambda d, side: np.where(m == side, d, ZERO)
    else:
        out = K.elementwise(pal, "where", cond.c, ca, cb)
        pick = lambda d, side: np.where(d == ZERO, ZERO, K.elementwise(pal, f"where{side}", cond.c, d))
    return out, lambda d: back((a, K.unbroadcast(pal, pick(d, True), np.shape(ca))),
                               (b, K.unbroadcast(pal, pick(d, False), np.shape(cb))))


@rule("aten.masked_fill.Scalar", "aten.masked_fill.Tensor", "aten.masked_fill_.Scalar")
def masked_fill(pal, x, mask, value):
    return where(pal, mask, value, x)


# --- reductions -------------------------------------------------------------
def _dims(x, dim):
    if dim is None or dim == []:
        return list(range(x.c.ndim))
    return [dim] if isinstance(dim, int) else list(dim)


@rule("aten.sum.default", "aten.sum.dim_IntList")
def sum_(pal, x, dim=None, keepdim=False, dtype=None):
    dims = _dims(x, dim)
    out = K.reduce_sum(pal, x.c, dims, keepdim)

    def vjp(d):
        kshape = tuple(1 if i in [q % x.c.ndim for q in dims] else s for i, s in enumerate(x.shape))
        return back((x, np.broadcast_to(d.reshape(kshape), x.shape).copy()))
    return out, vjp


@rule("aten.mean.default", "aten.mean.dim")
def mean(pal, x, dim=None, keepdim=False, dtype=None):
    dims = _dims(x, dim)
    count = int(np.prod([x.shape[q] for q in dims]))
    s, vjp_sum = sum_(pal, x, dims, keepdim)
    return K.scale(pal, s, 1.0 / count), lambda d: vjp_sum(K.scale(pal, d, 1.0 / count))


# --- shape and indexing: run the real op on an index tensor -----------------
SHAPE_OPS = [
    "view.default", "reshape.default", "_unsafe_view.default", "permute.default",
    "transpose.int", "t.default", "flatten.using_ints", "unflatten.int", "expand.default",
    "unsqueeze.default", "squeeze.dim", "squeeze.dims", "squeeze.default", "clone.default",
    "contiguous.default", "select.int", "slice.Tensor", "narrow.default", "movedim.int",
    "flip.default", "roll.default", "repeat.default", "chunk.default", "split.Tensor",
    "split_with_sizes.default", "unbind.int", "diagonal.default", "alias.default",
    "swapaxes.default", "transpose_.default", "unsqueeze_.default", "view_as.default",
    "reshape_as.default", "expand_as.default", "tile.default", "index_select.default",
    "index.Tensor", "gather.default", "constant_pad_nd.default", "numpy_T.default",
    "t_.default", "squeeze_.dim", "unfold.default", "repeat_interleave.self_int",
]


def index_map(target, shape, args, kwargs):
    """Run a shape or indexing op on the element indices of a tensor of ``shape``
    (its other arguments real values): the source index of every output
    element, per output, and the fill value of positions with no source (-1).

    >>> import torch
    >>> index_map(torch.ops.aten.transpose.int, (2, 3), (0, 1), {})[0][0].tolist()
    [[0, 3], [1, 4], [2, 5]]
    """
    import torch
    idx = torch.arange(int(np.prod(shape, dtype=np.int64)), dtype=torch.int64).reshape(shape)
    if str(target) == "aten.constant_pad_nd.default":
        out = target(idx + 1, *args[:1], 0)
        return [out.numpy() - 1], float(args[1] if len(args) > 1 else kwargs.get("value", 0.0))
    out = target(idx, *args, **kwargs)
    outs = list(out) if isinstance(out, (list, tuple)) else [out]
    return [o.numpy() for o in outs], 0.0


def _index_map(target, x, args, kwargs):
    """``index_map`` for a lint tensor: only constant indices are exact."""
    if any(isinstance(a, T) and a.v is None for a in args) or any(
            isinstance(a, (list, tuple)) and any(isinstance(q, T) and q.v is None for q in a) for a in args):
        raise _unsupported(f"{target} with data-dependent indices (only constant indices are exact)")
    real = [[q.v if isinstance(q, T) else q for q in a] if isinstance(a, (list, tuple)) else
            (a.v if isinstance(a, T) else a) for a in args]
    return index_map(target, x.shape, real, kwargs)


def shape_rule(pal, x, *args, _target, **kwargs):
    """A shape or indexing op: the real op on the index tensor, gathered."""
    name = str(_target).split(".")[1]
    if name.endswith("_as"):                                # the other tensor gives a shape only
        import torch
        args = (torch.zeros(args[0].shape),) + tuple(args[1:])
    srcs, fill = _index_map(_target, x, args, kwargs)
    fillc = pal.const(np.array([fill]))[0]
    outs = [K.gather(x.c, s, fillc) for s in srcs]

    def vjp(ds):
        ds = ds if isinstance(ds, list) else [ds]
        vals = [d.ravel() for d, s in zip(ds, srcs) if d is not None]
        tg = [s.ravel() for d, s in zip(ds, srcs) if d is not None]
        return back((x, K.gather_back(pal, np.concatenate(vals), np.concatenate(tg), x.shape)))
    many = name in ("chunk", "split", "split_with_sizes", "unbind")
    return (outs if many else outs[0]), vjp


shape_rule.wants_target = True
for _n in SHAPE_OPS:
    RULES["aten." + _n] = shape_rule


@rule("aten.cat.default", "aten.stack.default", "aten.concat.default")
def cat(pal, xs, dim=0, *, _target):
    import torch
    offs = np.cumsum([0] + [int(np.prod(x.shape, dtype=np.int64)) for x in xs])
    idx = [torch.arange(o, o + int(np.prod(x.shape, dtype=np.int64))).reshape(x.shape) for o, x in zip(offs, xs)]
    op = torch.stack if str(_target) == "aten.stack.default" else torch.cat
    src = op(idx, dim).numpy()
    flat = np.concatenate([x.c.ravel() for x in xs])
    out = flat[src]

    def vjp(d):
        g = K.scatter_sum(pal, d, src, int(offs[-1]))
        return back(*[(x, g[offs[i]:offs[i + 1]].reshape(x.shape)) for i, x in enumerate(xs)])
    return out, vjp


cat.wants_target = True


@rule("aten.detach.default", "aten.detach_.default", "aten.lift_fresh_copy.default")
def detach(pal, x):
    return x.c, lambda d: []


@rule("aten._to_copy.default", "aten.to.dtype", "aten.to.device", "aten.to.dtype_layout",
      "aten.type_as.default")
def to(pal, x, *args, **kwargs):
    # a dtype change maps equal to equal and 0 to 0 (the tag names the target dtype)
    args = [a.shape if isinstance(a, T) else a for a in args]
    y = K.unary(pal, f"to{args}{sorted(kwargs.items())}", x.c, zero_at_zero=True)
    return y, lambda d: back((x, K.unary(pal, "to'", d, zero_at_zero=True)))


@rule("aten.dropout.default", "aten.dropout_.default", "aten.feature_dropout.default",
      "aten.alpha_dropout.default")
def dropout(pal, x, p, train=True):
    if not train or float(p) == 0.0:
        return x.c, lambda d: back((x, d))
    # every element gets its own random mask: a fresh colour (0 * mask is still 0)
    mask = pal.fresh(x.shape)
    return K.mul(pal, x.c, mask), lambda d: back((x, K.mul(pal, d, mask)))


@rule("aten.broadcast_tensors.default")
def broadcast_tensors(pal, xs):
    shape = np.broadcast_shapes(*[x.shape for x in xs])
    outs = [np.broadcast_to(x.c, shape).copy() for x in xs]
    return outs, lambda ds: back(*[(x, K.unbroadcast(pal, d, x.shape) if d is not None else None)
                                   for x, d in zip(xs, ds)])


@rule("aten.zeros_like.default", "aten.ones_like.default", "aten.full_like.default",
      "aten.new_zeros.default", "aten.new_ones.default", "aten.new_full.default")
def like(pal, x, *args, _target, **kwargs):
    """A constant that takes only its shape (or nothing) from ``x``: coloured by value."""
    import torch
    real = _target(torch.zeros(x.shape), *args, **kwargs)
    return pal.const(real.double().numpy()), lambda d: []


like.wants_target = True
