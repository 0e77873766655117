"""Numeric evidence from torch autograd in float64 at the actual initialisation.

Evidence supports a verdict; it never makes one.  Float results count only
beyond the stated rounding bound ``BOUND * max(1, largest |gradient|)``.
"""

import copy

import numpy as np

BOUND = 1e-9
LR = 0.1
REALISE_MAX = 20_000_000     # parameters up to which a model of stated starts is realised for evidence


class NoEvidence(Exception):
    """The float64 copy of the model does not run (a forward that casts to another dtype)."""


def _double(x):
    import torch
    if isinstance(x, torch.Tensor):
        return x.detach().double() if x.is_floating_point() else x.detach()
    if isinstance(x, (list, tuple)):
        return type(x)(_double(q) for q in x)
    return x


def _objective(model, inputs, loss, targets):
    import torch
    out = model(*inputs)
    if loss is not None:
        return loss(out, targets)
    leaves = torch.utils._pytree.tree_leaves(out)
    return sum(t.sum() for t in leaves if isinstance(t, torch.Tensor) and t.is_floating_point())


class Probe:
    """A float64 copy of the model that reports gradients and takes SGD steps."""

    def __init__(self, model, inputs, loss=None, targets=None):
        import torch
        self.args = (model, inputs, loss, targets)
        self.model = copy.deepcopy(model).double().train()
        self.loss = copy.deepcopy(loss).double() if isinstance(loss, torch.nn.Module) else loss
        self.inputs, self.targets = _double(tuple(inputs)), _double(targets)
        self.params = dict(self.model.named_parameters())

    def fresh(self):
        """A new probe at the same init."""
        return Probe(*self.args)

    def grads(self):
        import torch
        self.model.zero_grad(set_to_none=True)
        with torch.random.fork_rng():
            torch.manual_seed(0)
            try:
                _objective(self.model, self.inputs, self.loss, self.targets).backward()
            except RuntimeError as e:
                reason = str(e).splitlines()[0] if str(e) else type(e).__name__
                raise NoEvidence(f"the model does not run in float64 ({reason})") from None
        return {n: (p.grad.detach().numpy().copy() if p.grad is not None else np.zeros(tuple(p.shape)))
                for n, p in self.params.items()}

    def step(self, grads):
        import torch
        with torch.no_grad():
            for n, p in self.params.items():
                if p.requires_grad:
                    p -= LR * torch.from_numpy(grads[n])


class Unavailable:
    """No float64 copy of the model can run; every question says why."""

    def __init__(self, reason):
        self.reason = reason

    def fresh(self):
        return self

    def grads(self):
        raise NoEvidence(self.reason)


def probe(model, inputs, loss=None, targets=None, starts=None):
    """A ``Probe`` at the init lint analysed: the model's values, or its stated starts
    realised (constants, copies, random draws); ``Unavailable`` when there are none."""
    if not starts or all(s.kind == "values" for s in starts.values()):
        return Probe(model, inputs, loss, targets)
    try:
        return Probe(realised(model, starts), inputs, loss, targets)
    except NoEvidence as e:
        return Unavailable(str(e))


def realised(model, starts):
    """A copy of ``model`` whose parameters start as ``starts`` says (a random start:
    draws from a seeded generator, so every entry differs from every other)."""
    import torch
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    if any(b.is_meta for b in model.buffers()):
        raise NoEvidence("the model's buffers have no values (meta device)")
    if any(p.is_meta for p in params) and total > REALISE_MAX:
        raise NoEvidence(f"the model has no values (meta device), and {total:,} parameters are too many to "
                         f"realise in float64 (at most {REALISE_MAX:,})")
    twin = copy.deepcopy(model)
    if any(p.is_meta for p in params):
        twin = twin.to_empty(device="cpu")
    named = dict(twin.named_parameters())
    draws = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, p in named.items():
            start = starts.get(name)
            if start is not None and start.kind == "constant":
                p.fill_(start.value)
            elif start is not None and start.kind == "random":
                p.copy_(torch.randn(p.shape, generator=draws, dtype=torch.float64).to(p.dtype))
        for name, p in named.items():
            start = starts.get(name)
            if start is not None and start.kind == "copy":
                p.copy_(named[start.source])
    return twin


def bound(grads):
    big = max([float(np.abs(g).max()) for g in grads.values() if g.size] + [1.0])
    return BOUND * big


def first_nonzero(probe, names, steps=3):
    """(step, name, index, value, bound) of the first gradient entry of ``names`` above
    the bound along a few SGD steps from the init, or None."""
    for k in range(steps + 1):
        g = probe.grads()
        b = bound(g)
        for n in names:
            a = np.abs(g[n])
            if a.size and a.max() > b:
                i = np.unravel_index(int(a.argmax()), a.shape)
                return k, n, tuple(int(q) for q in i), float(g[n][i]), b
        probe.step(g)
    return None


def describe_nonzero(hit):
    k, n, i, v, b = hit
    when = "at init" if k == 0 else f"after {k} SGD step{'s' * (k > 1)} (lr {LR}) from the init"
    return f"autograd (float64) {when}: grad {n}[{', '.join(map(str, i))}] = {v:.3g}, above the rounding bound {b:.1g}"


def spread(grads, members):
    """Largest gradient difference within groups: members is a list of [(name, flat index)...]."""
    worst = 0.0
    for group in members:
        vals = np.array([grads[n].ravel()[i] for n, i in group])
        worst = max(worst, float(vals.max() - vals.min())) if len(vals) else worst
    return worst


def first_differences(probe, groups, steps=3):
    """For each group of copy pairs: (step, largest |g_a - g_b| over its pairs, bound) at
    the first step where its copies' gradients differ beyond the bound, along one run of a
    few SGD steps (the last step's values for a group that never does)."""
    found = [None] * len(groups)
    for k in range(steps + 1):
        g = probe.grads()
        b = bound(g)
        for i, pairs in enumerate(groups):
            if found[i] is None or found[i][1] <= found[i][2]:
                worst = max(float(np.abs(g[a] - g[c]).max()) for a, c in pairs)
                found[i] = (k, worst, b)
        if all(f[1] > f[2] for f in found) or k == steps:
            return found
        probe.step(g)
    return found


def first_difference(probe, pairs, steps=3):
    """(step, largest |g_a - g_b| over the pairs, bound) at the first step where two copies'
    gradients differ beyond the bound, along a few SGD steps; the last step's values if never."""
    for k in range(steps + 1):
        g = probe.grads()
        b = bound(g)
        worst = max(float(np.abs(g[a] - g[c]).max()) for a, c in pairs)
        if worst > b or k == steps:
            return k, worst, b
        probe.step(g)
