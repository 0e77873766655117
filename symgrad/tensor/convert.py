"""``from_torch``: a small torch model as a scalar ``Network`` with its initialisation.

The model is captured as ``lint`` captures it (``torch.export``, train
mode) and interpreted with the rule table of ``scalar_rules``: every input
element becomes an input symbol, every parameter element that reaches the
objective a weight (or bias) named by its module path, and the actual
initial values (floats, read exactly) the constraint ``Given``.  Then
``derive``, ``prove`` and ``report`` apply as to any network, and the two
levels can be checked against each other.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field

import numpy as np

from ..base.errors import SymgradError
from ..base.printable import Printable
from ..model.constraints import Given
from .capture import capture
from .interpret import op_name, where
from .scalar import Emitter, Ref
from .scalar_rules import SCALAR_RULES


@dataclass(frozen=True, repr=False)
class Imported(Printable):
    """A torch model as a scalar network: ``network``, ``init`` (its actual
    initial values) and ``index[path]``, an int array shaped like the parameter
    giving each element's parameter index in ``network`` (-1: on no path to the
    objective, so its gradient is 0)."""

    model: str
    network: object
    init: Given
    index: dict
    objective: str
    notes: tuple = field(default=())

    def parameter(self, path: str, element: tuple = ()):
        """The symbol of one element of a model parameter (``"fc1.weight", (0, 2)``)."""
        p = int(self.index[path][element])
        if p < 0:
            raise SymgradError(f"{path}{list(element)} reaches no objective: the network has no symbol for it")
        return self.network.parameters[p]


@dataclass
class _Context:
    """What a rule may ask: the emitter, its op, and who else reads an argument."""

    e: Emitter
    op: str
    target: object
    node: object
    producers: dict
    live: set

    def alone(self, ref) -> bool:
        producer = self.producers.get(id(ref))
        return producer is not None and [u for u in producer.users if u in self.live] == [self.node]


def from_torch(model, example_inputs, loss=None, targets=None, *, name=None) -> Imported:
    """Convert ``model`` (a torch.nn.Module; its objective as ``lint`` takes it)
    to a scalar network, refusing what it cannot write exactly.

    >>> import torch
    >>> m = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1, bias=False))
    >>> imp = from_torch(m, torch.randn(1, 2))
    >>> imp.network.weights[:3], imp.network.biases
    ((p0_weight_0_0, p0_weight_0_1, p0_weight_1_0), (p0_bias_0, p0_bias_1))
    """
    import torch
    inputs = (example_inputs,) if isinstance(example_inputs, torch.Tensor) else tuple(example_inputs)
    cap = capture(model, inputs, loss, targets)
    given = inputs + ((targets,) if loss is not None else ())
    shapes = {path: tuple(p.shape) for path, p in cap.params.items() if cap.trainable[path]}
    title = name or type(model).__name__
    e = Emitter(title, shapes, f"the torch model {title}, objective {cap.objective}")
    env, producers, notes = {}, {}, []
    live = _live(cap)
    for node in cap.graph.nodes:
        if node not in live:
            continue
        if node.op == "placeholder":
            env[node] = _placeholder(e, cap, node, given, len(inputs), notes)
        elif node.op == "get_attr":
            env[node] = _const(cap.constants[node.target])
        elif node.op == "call_function":
            env[node] = _call(_Context(e, op_name(node.target), node.target, node, producers, live), env)
            for out in (env[node] if isinstance(env[node], list) else [env[node]]):
                producers[id(out)] = node
    outputs = [env[o] for o in cap.outputs]
    ids = [j for out in outputs if isinstance(out, Ref) and out.kind != "const"
           for j in e.nodes(out).ravel().tolist()]
    if not ids:
        raise SymgradError("the objective does not depend on any parameter or input")
    net = e.build(ids)
    if e.data:
        net = net.with_data([e.data])
    return Imported(title, net, _init(cap, e), _index(e, shapes), cap.objective, tuple(notes))


def _live(cap) -> set:
    """The graph nodes the objective depends on (the rest is never converted)."""
    live, stack = set(), list(cap.outputs)
    while stack:
        n = stack.pop()
        if n in live:
            continue
        live.add(n)
        stack.extend(n.all_input_nodes)
    return live


def _const(value) -> Ref:
    return Ref("const", value.detach().cpu().numpy())


def _placeholder(e, cap, node, given, model_inputs, notes) -> Ref:
    kind, key = cap.kinds[node.name]
    if kind == "param":
        return e.parameter(key) if cap.trainable[key] else _const(cap.params[key])
    if kind in ("buffer", "const"):
        if key in cap.mutated:
            raise SymgradError(f"the buffer {key} changes during the forward pass (running statistics): "
                               "the scalar network has no state")
        return _const(cap.constants[key])
    value = given[key]
    if not value.is_floating_point():
        notes.append(f"integer {'input' if key < model_inputs else 'targets'} {key} fixed to the example's values")
        return _const(value)
    if key < model_inputs:
        return e.inputs(tuple(value.shape), "x")
    return e.targets(tuple(value.shape))


def _real(x):
    import torch
    if isinstance(x, Ref):
        return torch.from_numpy(np.ascontiguousarray(x.a))
    if isinstance(x, (list, tuple)):
        return type(x)(_real(q) for q in x)
    return x


def _call(ctx, env):
    import torch
    node = ctx.node
    args = torch.fx.node.map_arg(node.args, lambda n: env[n])
    kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: env[n])
    if node.target is operator.getitem:
        return args[0][args[1]]
    refs = [a for a in torch.utils._pytree.tree_leaves((args, kwargs)) if isinstance(a, Ref)]
    if all(r.kind == "const" for r in refs) and isinstance(node.target, torch._ops.OpOverload):
        with torch.no_grad():
            out = node.target(*_real(args), **_real(kwargs))
        return [_const(o) for o in out] if isinstance(out, (list, tuple)) else _const(out)
    fn = SCALAR_RULES.get(ctx.op)
    if fn is None:
        raise SymgradError(f"no scalar form for the op {ctx.op} ({where(node)}); symgrad lint analyses the "
                           "model at the tensor level")
    try:
        return fn(ctx, *args, **kwargs)
    except SymgradError as err:
        raise SymgradError(f"{ctx.op}: {err} ({where(node)})") from None


def _init(cap, e) -> Given:
    """The actual initial value of every parameter of the network."""
    flat = {path: cap.params[path].detach().to("cpu").double().reshape(-1).numpy() for path in e.shapes}
    names = e.b.weight_names + e.b.bias_names
    values = []
    for name, p in zip(names, e.used.tolist()):
        path = e.path_of(p)
        values.append((name, float(flat[path][p - e.offsets[path]])))
    return Given(tuple(values))


def _index(e, shapes) -> dict:
    where_used = {p: k for k, p in enumerate(e.used.tolist())}
    index = {}
    for path, shape in shapes.items():
        ids = np.arange(e.offsets[path], e.offsets[path] + int(np.prod(shape, dtype=np.int64)))
        index[path] = np.array([where_used.get(p, -1) for p in ids.tolist()], np.int64).reshape(shape)
    return index
