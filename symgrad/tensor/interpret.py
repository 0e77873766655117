"""One pass over the captured graph: forward colours, then backward (delta) colours.

The interpreter is one loop over the nodes and the table ``RULES``; an op
without a rule is an error naming the op, the module path and the source
line.  Nodes whose inputs are all known constants (no parameter or input
behind them) are evaluated by torch itself and coloured by value.
"""

import operator

import numpy as np

from ..base.errors import SymgradError
from ..base.progress import note
from ..maths.palette import ONE, ZERO
from . import grid_sums
from . import kernels as K
from . import rules_nn  # noqa: F401  (registers the network-level rules)
from .factored import Fac
from .marks import Mark, as_mark, sum_marks, zero_mark
from .reach import unreached
from .rules import RULES, T, ZEROS
from .rules_factored import FAC_RULES, expose

RANDOM = {"rand", "randn", "rand_like", "randn_like", "bernoulli", "bernoulli_", "normal",
          "randint", "randint_like", "randperm", "uniform_", "normal_", "multinomial",
          "empty", "empty_like", "native_dropout", "empty_strided", "new_empty"}
CHECKS = {"_assert_tensor_metadata", "_assert_async", "_assert_scalar"}   # assert, return nothing


def op_name(target):
    return str(target).replace("torch.ops.", "")


def where(node):
    """Module path and source line of a node, for error messages."""
    stack = node.meta.get("nn_module_stack") or {}
    path = list(stack.values())[-1][0] if stack else ""
    trace = (node.meta.get("stack_trace") or "").strip().splitlines()
    line = ""
    for i in range(len(trace) - 1, -1, -1):
        if trace[i].strip().startswith("File "):
            line = trace[i].strip() + (": " + trace[i + 1].strip() if i + 1 < len(trace) else "")
            break
    return f"module {path or '<top>'!r}, {line or 'no source line'}"


def _leaves(x):
    """The tensors among arguments (in lists, tuples and keyword dicts)."""
    if isinstance(x, T):
        return [x]
    if isinstance(x, dict):
        x = list(x.values())
    if isinstance(x, (list, tuple)):
        return [t for q in x for t in _leaves(q)]
    return []


def _real(x):
    if isinstance(x, T):
        return x.v
    if isinstance(x, dict):
        return {k: _real(q) for k, q in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_real(q) for q in x)
    return x


def _wrap(pal, value, known=True):
    """A value as a lint tensor: coloured by its entries when ``known`` (a tensor with
    no storage, on the meta device, never is), else one fresh colour per entry."""
    import torch
    if isinstance(value, torch.Tensor):
        if not known or value.is_meta:
            return T(pal.fresh(tuple(value.shape)), None, value.is_floating_point(), wants=False)
        arr = value.detach().cpu().to(torch.float64).numpy()
        return T(pal.const(arr), value, value.is_floating_point(), wants=False)
    if isinstance(value, (list, tuple)):
        return [_wrap(pal, q, known) for q in value]
    return value


def combine(pal, ds, shape):
    """Sum of the delta contributions (None when provably zero)."""
    if any(isinstance(d, Mark) for d in ds):
        return _combine_marks(pal, ds, shape)
    return K.total(pal, ds, shape)


def _combine_marks(pal, ds, shape):
    """The sum of the deltas of a structured tensor (marks, or arrays made by a flat
    rule on its materialised entries), as a mark."""
    marks = [d if isinstance(d, Mark) else as_mark(d, shape) for d in ds if d is not None]
    total = sum_marks(pal, marks, tuple(shape))
    return None if total.is_zero() else total


PROGRESS_STEPS = 20   # progress lines per pass (a line every 5% of the graph)


def _progress(direction: str, done: int, total: int, node) -> None:
    """Tell a person watching how far a pass is, with the module it is in (also a
    moment to honour an interrupt)."""
    step = max(total // PROGRESS_STEPS, 1)
    if done % step == 0:
        note(f"lint: {direction} pass {100 * done // total}%, {where(node).split(', ')[0]}")


def run(cap, pal, param_colours, inputs, wanted=None, consume=None, reach=None):
    """Colours of the gradients of the parameters ``wanted`` asks for (name -> True, or
    ``ZEROS`` for a bool array of where the gradient is not provably zero, or a bool
    array of the elements whose colours are wanted; default: the colours of all),
    given parameter colours (name -> array).  Only the deltas with a wanted
    parameter behind them are computed, as autograd follows ``requires_grad``.
    With ``consume(name, gradient)``, each gradient is handed over as soon as the
    backward pass has nothing more to add to it (and not kept); else returned.
    A dict ``reach`` is filled with the entries no gradient can reach
    (``symgrad.tensor.reach.unreached``)."""
    grads = {}
    env, vjps, order, nodes = _forward(cap, pal, param_colours, inputs, wanted)
    if reach is not None:
        reach.update(unreached(cap, env))
    _backward(cap, pal, env, vjps, order, nodes, wanted, consume or grads.__setitem__)
    return grads


def _forward(cap, pal, param_colours, inputs, wanted):
    import torch
    env, vjps, order = {}, {}, {}
    nodes = list(cap.graph.nodes)
    for i, n in enumerate(nodes):
        order[n] = i
    for node in nodes:
        if node.op == "placeholder":
            kind, key = cap.kinds[node.name]
            if kind == "param":
                p = cap.params[key]
                ask = _ask(wanted, key)
                env[node] = T(param_colours[key], None, p.is_floating_point(),
                              wants=False if ask is None else ZEROS if ask is ZEROS else True)
            elif kind == "input":
                x = inputs[key]
                env[node] = _wrap(pal, x, known=False) if isinstance(x, torch.Tensor) else x
            else:
                env[node] = _wrap(pal, cap.constants[key], known=key not in cap.mutated)
        elif node.op == "get_attr":
            env[node] = _wrap(pal, cap.constants[node.target])
        elif node.op == "call_function":
            _progress("forward", order[node], len(nodes), node)
            env[node], vjps[node] = _call(pal, node, env, order)
    return env, vjps, order, nodes


def _backward(cap, pal, env, vjps, order, nodes, wanted, consume):
    deltas = {}
    for t in _leaves([env[o] for o in cap.outputs]):
        if t.floating and t.wants:
            deltas.setdefault(id(t), []).append(np.full(t.shape, ONE, np.int64))
    holders, last = {}, {}              # a tied parameter may have several placeholders
    for node in nodes:
        if node.op == "placeholder" and cap.kinds[node.name][0] == "param":
            key = cap.kinds[node.name][1]
            holders.setdefault(key, []).append(env[node])
            last[key] = min([last.get(key, len(nodes))] + [order[u] for u in node.users])
    pending = sorted(holders, key=lambda k: -last[k])  # done once the backward pass is past its first user

    def finish(before):
        while pending and last[pending[0]] > before:
            key = pending.pop(0)
            ds = [d for t in holders[key] for d in deltas.pop(id(t), [])]
            ask = _ask(wanted, key)
            if ask is not None:
                consume(key, _gradient(pal, ds, holders[key][0].shape, ask, isinstance(holders[key][0].c, Fac)))

    for node in reversed(nodes):
        finish(order[node])
        vjp = vjps.pop(node, None)          # a node's rule and value are let go once it is past:
        out = env.pop(node, None)           # what its inputs' rules still need, they hold themselves
        if vjp is None:
            continue
        _progress("backward", len(nodes) - order[node], len(nodes), node)
        for t, d in _step_back(pal, node, out, vjp, deltas):
            deltas.setdefault(id(t), []).append(d)
        del vjp, out
    finish(-1)


def _step_back(pal, node, out, vjp, deltas):
    """The delta contributions one node's rule sends to its inputs."""
    if isinstance(out, list):
        ds = [combine(pal, deltas.pop(id(t), []), t.shape) if isinstance(t, T) else None for t in out]
        if all(d is None for d in ds):
            return []
    else:
        ds = combine(pal, deltas.pop(id(out), []), out.shape)
        if ds is None:
            return []
    sent = []
    for t, d in vjp(ds):
        if t.floating and t.wants:
            if d.shape != t.shape:
                raise SymgradError(f"internal: delta shape {d.shape} != {t.shape} at {op_name(node.target)} ({where(node)})")
            sent.append((t, d))
    return sent


def _ask(wanted, key):
    """What ``run`` is asked of a parameter (None: nothing)."""
    return True if wanted is None else wanted.get(key)


def _gradient(pal, ds, shape, ask, structured=False):
    """A parameter's gradient from its delta contributions, as much as ``ask`` wants
    (a structured parameter's: a mark, or its entries when a flat rule made them)."""
    if structured:
        if len(ds) == 1 and not isinstance(ds[0], Mark):
            return ds[0]
        got = combine(pal, [d if isinstance(d, Mark) else as_mark(d, shape) for d in ds], shape)
        return zero_mark(shape) if got is None else got
    if ask is ZEROS:
        return _not_zero(ds, shape)
    if len(ds) > 1:                                 # a parameter used more than once: its sum
        return _combine_at(pal, ds, shape, None if ask is True else ask)
    g = combine(pal, ds, shape)
    return np.full(shape, ZERO, np.int64) if g is None else g


def _not_zero(ds, shape):
    """Where a sum of delta contributions (bool patterns or colours) is not provably
    zero: a sum is zero iff every term is."""
    out = np.zeros(shape, bool)
    for d in ds:
        out |= d if d.dtype == bool else d != ZERO
    return out


GRADIENT_BLOCK = 1 << 22    # elements of a parameter's gradient summed at once
GRID_SUM_MIN = 1 << 20      # a sum of two grids this large is named by rows and columns (a smaller
                            # one entry by entry, with the same names as every other sum)


def _combine_at(pal, ds, shape, at=None):
    """A sum of delta contributions, named only at the flat positions ``at`` (bool;
    None: everywhere), elsewhere ZERO where it is provably zero and ONE (a stand-in)
    where not.  Named block by block: the palette names a sum the same in any batch,
    and the memory a sum needs stays that of a block, not of a 38M-entry embedding."""
    if len(ds) == 2 and len(shape) == 2 and int(np.prod(shape)) >= GRID_SUM_MIN:
        named = grid_sums.grid_sum(pal, ds[0], ds[1])                # two grids: named by rows and columns
        if named is not None:
            return named
    flat = [d.ravel() for d in ds]
    if at is None:
        out = np.empty(int(np.prod(shape, dtype=np.int64)), np.int64)
        blocks = (slice(i, i + GRADIENT_BLOCK) for i in range(0, len(out), GRADIENT_BLOCK))
    else:
        out = np.where(_not_zero(ds, shape), ONE, ZERO).ravel()
        at = at.ravel()
        blocks = (i + np.flatnonzero(at[i:i + GRADIENT_BLOCK]) for i in range(0, len(at), GRADIENT_BLOCK))
    for b in blocks:
        part = [d[b] for d in flat]
        named = combine(pal, part, part[0].shape)
        out[b] = ZERO if named is None else named
    return out.reshape(shape)


def _call(pal, node, env, order):
    import torch
    args = torch.fx.node.map_arg(node.args, lambda n: env[n])
    kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: env[n])
    if node.target is operator.getitem:
        return args[0][args[1]], None
    name = op_name(node.target)
    packet = name.split(".")[1] if name.startswith("aten.") else name
    tensors = _leaves((args, kwargs))
    if packet in CHECKS:
        return None, None
    if packet in RANDOM or (packet.endswith("dropout") and "native" in packet):
        val = node.meta.get("val")
        return _wrap(pal, val, known=False), None
    if all(t.v is not None for t in tensors) and isinstance(node.target, torch._ops.OpOverload):
        with torch.no_grad():
            return _wrap(pal, node.target(*_real(args), **_real(kwargs))), None
    wants = any(t.wants for t in tensors)
    if any(isinstance(t.c, Fac) for t in tensors):
        return _call_structured(pal, node, name, args, kwargs, wants)
    fn = RULES.get(name)
    if fn is None:
        raise SymgradError(f"no lint rule for the op {name} ({where(node)}); "
                           f"symgrad.tensor.supported_ops() lists the ops with rules")
    if packet.endswith("_") and node.args and isinstance(node.args[0], torch.fx.Node):
        later = [u for u in node.args[0].users if u is not node and order[u] > order[node]]
        if later:
            raise SymgradError(f"in-place {name} on a tensor that is read again later is not "
                               f"supported ({where(node)})")
    if getattr(fn, "wants_target", False):
        kwargs = dict(kwargs, _target=node.target)
    try:
        out, vjp = fn(pal, *args, **kwargs)
    except SymgradError as e:
        raise SymgradError(f"{name}: {e} ({where(node)})") from None
    val = node.meta.get("val")
    return _as_values(out, val, name, node, wants), vjp if wants else None   # no delta wanted: no vjp kept


def _call_structured(pal, node, name, args, kwargs, wants):
    """An op reading a structured parameter: its structured rule, or else the flat
    rule on the materialised entries (refused beyond ``factored.MATERIALISE_MAX``)."""
    fn = FAC_RULES.get(name)
    try:
        got = fn(pal, *args, **kwargs) if fn is not None else None
        if got is None:
            got = _on_entries(pal, node, name, args, kwargs)
    except SymgradError as e:
        raise SymgradError(f"{'' if name in str(e) else name + ': '}{e} ({where(node)})") from None
    out, vjp = got
    if isinstance(out, Fac):
        return T(out, None, True, wants), vjp if wants else None
    return _as_values(out, node.meta.get("val"), name, node, wants), vjp if wants else None


def _on_entries(pal, node, name, args, kwargs):
    """The flat rule of ``name`` with every structured operand materialised."""
    fn = RULES.get(name)
    if fn is None:
        raise SymgradError(f"no lint rule for the op {name}; symgrad.tensor.supported_ops() lists the ops with rules")
    swapped = {}

    def flat(x):
        if isinstance(x, T) and isinstance(x.c, Fac):
            expose(pal, x.c)
            y = T(x.c.materialise(pal, f"the op {name} reads every entry"), None, x.floating, x.wants)
            swapped[id(y)] = x
            return y
        if isinstance(x, (list, tuple)):
            return type(x)(flat(q) for q in x)
        return x
    args, kwargs = flat(args), {k: flat(v) for k, v in kwargs.items()}
    if getattr(fn, "wants_target", False):
        kwargs = dict(kwargs, _target=node.target)
    out, vjp = fn(pal, *args, **kwargs)

    def vjp_back(d):
        return [(swapped.get(id(t), t), g) for t, g in vjp(d)]
    return out, vjp_back


def _as_values(out, val, name, node, wants):
    if isinstance(out, list):
        vals = val if isinstance(val, (list, tuple)) else [None] * len(out)
        return [_as_values(o, v, name, node, wants) for o, v in zip(out, vals)]
    floating = True if val is None else bool(val.is_floating_point())
    if val is not None and tuple(out.shape) != tuple(val.shape):
        raise SymgradError(f"internal: rule for {name} gave shape {out.shape}, torch says "
                           f"{tuple(val.shape)} ({where(node)})")
    return T(np.asarray(out, dtype=np.int64, order="C"), None, floating, wants)   # 0-d stays 0-d
