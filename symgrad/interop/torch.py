"""The same network in PyTorch, built from symgrad's graph; gradients by autograd.

Every node is evaluated in float64 with torch's own functions, independently
of symgrad's formulas: a neuron is ``act(sum_e theta[p(e)] * y_source(e))``
with ``torch.tanh``, ``torch.sigmoid``, ``torch.relu`` (slope 0 at 0) or
``F.silu`` (the stand-in for the undefined sigma); softmax is
``torch.softmax``; cross-entropy is ``F.cross_entropy`` with probability
targets; squared error ``F.mse_loss(reduction="sum") / 2``; the perceptron
criterion ``(phi(z) - t) z`` with ``phi(z)`` detached.  ``cross_check``
compares the autograd gradients with symgrad's exact ones at a random point
(``symgrad.interop.points``) that stays off ReLU's and phi's kinks (but
for exact zeros behind dead ReLUs, where both sides agree on the slope) and
where nothing saturates: float64 computes the slopes ``1 - y**2`` of tanh,
``y (1 - y)`` of sigmoid and ``p_k - t_k`` of the cross-entropy with a
relative error of about ``1e-16 / slope``, which is no fault of either side.

Needs the extra ``symgrad[torch]``; torch is imported when a function runs::

    from symgrad import examples
    from ..interop.torch import cross_check
    cross_check(examples.get("softmax_ce_hidden"), seed=1).max_error   # about 4e-16
"""
from __future__ import annotations

import random

from ..base.errors import SymgradError
from .points import Comparison, exact_gradients, random_point, sample_values

KINK = 1e-6  # points with a ReLU or phi argument this close to 0 are skipped
SATURATED = 1e-3  # and points with a tanh, sigmoid or cross-entropy slope below this (relative)


def _activation(name: str):
    import torch
    import torch.nn.functional as F

    functions = {"identity": lambda z: z, "relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                 "sigma": F.silu, "step": lambda z: torch.where(z >= 0, 1.0, -1.0).to(z.dtype)}
    if name not in functions:
        raise SymgradError(f"no PyTorch counterpart for the activation {name!r}")
    return functions[name]


def _operation(node, args: list, uses: list, targets):
    """The value of a function node from its arguments, in torch."""
    import torch
    import torch.nn.functional as F

    name = node.op.name
    if name == "softmax":
        return torch.softmax(torch.stack(args), dim=0)[node.op.index]
    if name == "cross_entropy":
        return F.cross_entropy(torch.stack(args)[None], targets[None], reduction="sum")
    if name == "squared_error":
        return F.mse_loss(torch.stack(args), targets, reduction="sum") / 2
    if name == "output":
        return torch.stack(args).sum()
    if name == "perceptron":
        return (uses[0].detach() - targets[0]) * args[0]
    if name == "apply":
        return _activation(node.op.activation.name)(args[0])
    if name == "product":
        return args[0] * args[1]
    if name == "affine":
        return sum((float(c) * a for c, a in zip(node.op.coefficients, args)), torch.tensor(float(node.op.offset), dtype=torch.float64))
    raise SymgradError(f"no PyTorch counterpart for the operation {name!r}")


def objective(net, theta, sample: dict, margins: list | None = None):
    """The objective at parameters ``theta`` (a float64 tensor) for one
    sample (input and target symbols -> numbers).  ``margins`` collects how
    far each unit is from where float64 or a kink misleads (below 1: too close)."""
    import torch

    def number(v):
        return torch.tensor(float(v), dtype=torch.float64)

    values = {j: number(sample[n.symbol]) if n.kind == "input" else number(1)
              for j, n in enumerate(net.nodes) if n.kind in ("input", "bias")}  # the constant 1 may come last
    for j, node in enumerate(net.nodes):
        if node.kind == "neuron":
            z = torch.stack([theta[net.edge_param[e]] * values[net.edge_source[e]] for e in net.in_edges[j]]).sum()
            values[j] = _activation(node.activation.name)(z)
            if margins is not None:
                margins.append(_margin(node.activation, z.item(), values[j].item()))
        elif node.kind == "function":
            args = [values[a] for a in node.args]
            if margins is not None and node.op.name == "apply":
                margins.append(_margin(node.op.activation, args[0].item(), None))
            targets = torch.tensor([float(sample[t]) for t in node.targets], dtype=torch.float64)
            values[j] = _operation(node, args, [values.get(u) for u in node.uses], targets)
            if margins is not None and node.op.name == "cross_entropy":
                margins.append(_softmax_margin(torch.softmax(torch.stack(args).detach(), dim=0), targets))
    return values[net.objective]


def _margin(activation, z: float, y: float | None) -> float:
    """How far a unit is from trouble, in units of the threshold: ReLU and
    phi from their kink at 0, tanh and sigmoid from saturation (where float64
    loses the digits of their slopes ``1 - y**2`` and ``y (1 - y)``).  At
    exactly 0 (a unit fed only by dead ReLUs) ReLU and phi are fine when
    both sides take the same convention: slope 0 for ReLU (torch.relu's), and
    phi(0) = 1."""
    name = activation.name
    if name in ("relu", "step"):
        if z == 0:
            return float("inf") if name == "step" or activation.at_zero == 0 else 0.0
        return abs(z) / KINK
    if name == "tanh":
        return (1 - y * y) / SATURATED
    if name == "sigmoid":
        return y * (1 - y) / SATURATED
    return float("inf")


def _softmax_margin(probabilities, targets) -> float:
    """How far the slopes ``p_k - t_k`` of the cross-entropy are from
    cancelling (a target class of probability near 1), in units of the threshold."""
    gaps = (probabilities - targets).abs() / probabilities.maximum(targets)
    return gaps.min().item() / SATURATED


def gradients(net, params, samples) -> tuple[list[float], float]:
    """Autograd's gradient of the objective summed over ``samples`` at
    ``params`` (numbers), and the smallest margin of any unit (see ``_margin``)."""
    import torch

    theta = torch.tensor([float(p) for p in params], dtype=torch.float64, requires_grad=True)
    margins: list[float] = []
    total = torch.stack([objective(net, theta, s, margins) for s in samples]).sum()
    (grad,) = torch.autograd.grad(total, theta, allow_unused=True)
    return ([0.0] * len(params) if grad is None else grad.tolist()), min(margins, default=float("inf"))


def cross_check(net, seed: int = 0, tries: int = 50) -> Comparison:
    """symgrad's exact gradients against PyTorch autograd at a random point
    (drawn from ``seed``) where no ReLU or phi sits on its kink and no tanh,
    sigmoid or softmax saturates."""
    rng = random.Random(seed)
    for _ in range(tries):
        point = random_point(net, rng)
        params = [point[w] for w in net.parameters]
        other, margin = gradients(net, params, sample_values(net, point))
        if margin > 1:
            return Comparison(net, point, tuple(exact_gradients(net, point)), tuple(other))
    raise SymgradError(f"no point of {net.name!r} off the kinks and saturation in {tries} tries")
