"""Capture a torch model as an aten graph: ``torch.export`` (train mode), fx as fallback.

The result names every placeholder: a parameter (by module path), a
buffer (constant, or generic when the model mutates it), a lifted
constant, or a user input (generic data).
"""

import warnings
from dataclasses import dataclass, field

from ..base.errors import SymgradError


@dataclass
class Captured:
    """An aten graph and what each of its placeholders stands for."""
    graph: object                       # torch.fx.Graph
    kinds: dict                         # placeholder name -> ("param"|"buffer"|"const"|"input", key)
    params: dict                        # module path -> torch tensor (detached, cpu)
    trainable: dict                     # module path -> bool (requires_grad)
    constants: dict                     # key -> torch tensor (buffers, lifted constants)
    mutated: set = field(default_factory=set)
    outputs: list = field(default_factory=list)   # output nodes that enter the objective
    method: str = "torch.export"
    objective: str = "sum of the outputs"


def _as_tuple(x):
    import torch
    if isinstance(x, torch.Tensor):
        return (x,)
    return tuple(x)


class _WithLoss:
    """Factory for a module computing ``loss(model(*inputs), targets)``."""

    @staticmethod
    def build(model, loss):
        import torch

        class WithLoss(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model
                self.loss = loss if isinstance(loss, torch.nn.Module) else None
                self._fn = loss

            def forward(self, *args):
                *xs, t = args
                out = self.model(*xs)
                return (self.loss or self._fn)(out, t)
        return WithLoss()


def loss_name(loss):
    if loss is None:
        return "sum of the outputs"
    name = type(loss).__name__ if not callable(loss) or hasattr(loss, "forward") else getattr(loss, "__name__", repr(loss))
    return f"{name}(model(inputs), targets)"


def capture(model, inputs, loss=None, targets=None):
    """Export ``model`` in train mode (restoring its modes afterwards).

    The objective is ``loss(model(*inputs), targets)`` when a loss is given,
    else the sum of the (floating) outputs.
    """
    import torch
    if not isinstance(model, torch.nn.Module):
        raise SymgradError(f"lint needs a torch.nn.Module, got {type(model).__name__}")
    inputs = _as_tuple(inputs)
    if loss is not None and targets is None:
        raise SymgradError("a loss needs targets (pass targets=...)")
    modes = {m: m.training for m in model.modules()}
    if any(p.is_meta for p in model.parameters()):        # no storage: the example tensors go there too
        inputs = tuple(x.to("meta") if isinstance(x, torch.Tensor) else x for x in inputs)
        targets = targets.to("meta") if isinstance(targets, torch.Tensor) else targets
    root, args, prefix = model, inputs, ""
    if loss is not None:
        root, args, prefix = _WithLoss.build(model, loss), inputs + (targets,), "model."
    try:
        root.train()
        cap = _export(root, args, prefix)
    finally:
        for m, t in modes.items():
            m.training = t
    cap.objective = loss_name(loss)
    return cap


def _export(root, args, prefix):
    import torch
    errors = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ep = torch.export.export(root, args, strict=False)
    except Exception as e:                                # export failed: try fx
        errors.append(f"torch.export: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        return _fx(root, args, prefix, errors)
    sig = ep.graph_signature
    kinds, constants = {}, {}
    strip = lambda s: s[len(prefix):] if s.startswith(prefix) else s
    first = {}                                            # a shared (tied) parameter: its first name
    alias = {n: first.setdefault(id(p), n) for n, p in root.named_parameters(remove_duplicate=False)}
    for ph, name in sig.inputs_to_parameters.items():
        kinds[ph] = ("param", strip(alias.get(name, name)))
    for ph, name in sig.inputs_to_buffers.items():
        kinds[ph] = ("buffer", strip(name))
        constants[strip(name)] = (ep.state_dict.get(name, ep.constants.get(name))).detach()
    for ph, name in sig.inputs_to_lifted_tensor_constants.items():
        kinds[ph] = ("const", name)
        constants[name] = ep.constants[name].detach()
    for i, ph in enumerate(sig.user_inputs):
        kinds[ph] = ("input", i)
    mutated = {strip(b) for b in sig.buffers_to_mutate.values()}
    params = {strip(n): p.detach() for n, p in root.named_parameters()}
    trainable = {strip(n): bool(p.requires_grad) for n, p in root.named_parameters()}
    outnode = next(n for n in ep.graph.nodes if n.op == "output")
    user = set(sig.user_outputs)
    outs = [a for a in outnode.args[0] if a is not None and getattr(a, "name", None) in user]
    return Captured(ep.graph, kinds, params, trainable, constants, mutated, outs)


def _fx(root, args, prefix, errors):
    """Fallback: ``torch.fx.symbolic_trace`` (refuses data-dependent control flow),
    lowered to aten by ``make_fx`` over a functional call."""
    import torch
    from torch.fx.experimental.proxy_tensor import make_fx
    try:
        gm = torch.fx.symbolic_trace(root)
        names = [n for n, _ in root.named_parameters()]
        bnames = [n for n, _ in root.named_buffers()]

        def fn(params, buffers, *xs):
            return torch.func.functional_call(gm, {**dict(zip(names, params)), **dict(zip(bnames, buffers))}, xs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            low = make_fx(fn, pre_dispatch=True)([p.detach() for _, p in root.named_parameters()],
                                                 [b for _, b in root.named_buffers()], *args)
    except Exception as e:
        errors.append(f"torch.fx: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        raise SymgradError("cannot capture the model: " + "; ".join(errors)) from None
    phs = [n for n in low.graph.nodes if n.op == "placeholder"]
    strip = lambda s: s[len(prefix):] if s.startswith(prefix) else s
    kinds, constants = {}, {}
    for ph, n in zip(phs, names):
        kinds[ph.name] = ("param", strip(n))
    for ph, (n, b) in zip(phs[len(names):], root.named_buffers()):
        kinds[ph.name] = ("buffer", strip(n))
        constants[strip(n)] = b.detach()
    for i, ph in enumerate(phs[len(names) + len(bnames):]):
        kinds[ph.name] = ("input", i)
    for n in low.graph.nodes:                              # make_fx keeps constants as attributes
        if n.op == "get_attr":
            kinds[n.name] = ("const", n.target)
            constants[n.target] = getattr(low, n.target).detach()
    params = {strip(n): p.detach() for n, p in root.named_parameters()}
    trainable = {strip(n): bool(p.requires_grad) for n, p in root.named_parameters()}
    outnode = next(n for n in low.graph.nodes if n.op == "output")
    import torch.utils._pytree as pytree
    outs = [a for a in pytree.tree_leaves(outnode.args[0]) if isinstance(a, torch.fx.Node)]
    return Captured(low.graph, kinds, params, trainable, constants, set(), outs, method="torch.fx")
