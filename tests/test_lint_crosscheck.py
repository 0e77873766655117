"""Independent cross-check of symgrad.tensor.lint against training in torch float64.

For random small models (MLPs, convolutions, attention, residual blocks,
layer norm; some with rows copied to force ties, some with zero layers to
force frozen parameters): train the model itself with SGD (momentum, weight
decay) and Adam from the same init, on fresh random inputs at every step.
Every claimed tie must hold to a float64 rounding bound, every frozen
parameter must get exactly zero gradient, and forced copies must be found.
"""

import copy
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from symgrad.tensor import lint  # noqa: E402

BOUND = 1e-8          # relative float64 rounding bound for a few steps of a small model
STEPS = 4


class Residual(nn.Module):
    def __init__(self, body):
        super().__init__()
        self.body = body

    def forward(self, x):
        return x + self.body(x)


class Attn(nn.Module):
    def __init__(self, d, heads, need_weights, out):
        super().__init__()
        self.att = nn.MultiheadAttention(d, heads, batch_first=True)
        self.need = need_weights
        self.head = nn.Linear(d, out)

    def forward(self, x):
        a, _ = self.att(x, x, x, need_weights=self.need)
        return self.head(torch.tanh(a + x)).mean(1)


def _act(rng):
    return [nn.ReLU(), nn.Tanh(), nn.GELU(), nn.SiLU(), nn.Sigmoid()][rng.integers(5)]


def _copy_unit(lin_in, lin_out, i, j):
    """Make hidden unit j an exact copy of unit i (rows in, columns out)."""
    with torch.no_grad():
        lin_in.weight[j] = lin_in.weight[i]
        if lin_in.bias is not None:
            lin_in.bias[j] = lin_in.bias[i]
        lin_out.weight[:, j] = lin_out.weight[:, i]


def make(seed):
    """A random small model, its input shape, an optional loss, and forced ties."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    kind = ["mlp", "mlp", "conv", "attn", "res", "ln"][seed % 6]
    forced = []
    if kind == "mlp":
        d, h, o = int(rng.integers(2, 5)), int(rng.integers(3, 7)), int(rng.integers(1, 4))
        m = nn.Sequential(nn.Linear(d, h), _act(rng), nn.Linear(h, h), _act(rng), nn.Linear(h, o))
        if rng.random() < 0.5:
            _copy_unit(m[0], m[2], 0, 1)
            _copy_unit(m[2], m[4], 0, 1)
            forced = [("0.weight", 0, 1), ("2.weight", 0, 1)]
        if rng.random() < 0.3:
            nn.init.zeros_(m[int(rng.choice([0, 2, 4]))].weight)
        if rng.random() < 0.3:                     # a dead layer: zero, behind a ReLU
            nn.init.zeros_(m[0].weight)
            nn.init.zeros_(m[0].bias)
            m[1] = nn.ReLU()
        shape = (5, d)
    elif kind == "conv":
        c = int(rng.integers(2, 4))
        pool = [nn.MaxPool2d(2), nn.AvgPool2d(2), nn.AdaptiveAvgPool2d(2)][rng.integers(3)]
        m = nn.Sequential(nn.Conv2d(2, c, 3, padding=int(rng.integers(2)), stride=int(rng.integers(1, 3))),
                          _act(rng), pool, nn.Flatten())
        with torch.no_grad():
            out = m(torch.zeros(1, 2, 7, 7)).shape[1]
        m = nn.Sequential(*list(m), nn.Linear(out, 2))
        if rng.random() < 0.5:
            with torch.no_grad():
                m[0].weight[1] = m[0].weight[0]
                m[0].bias[1] = m[0].bias[0]
        shape = (3, 2, 7, 7)
    elif kind == "attn":
        d, heads = 4, int(rng.integers(1, 3))
        m = Attn(d, heads, bool(rng.integers(2)), 2)
        shape = (2, 3, d)
        if heads == 2 and rng.random() < 0.6:
            hd = d // heads
            with torch.no_grad():
                w = m.att.in_proj_weight.view(3, heads, hd, d)
                w[:, 1] = w[:, 0]
                m.att.in_proj_bias.view(3, heads, hd)[:, 1] = m.att.in_proj_bias.view(3, heads, hd)[:, 0]
                ow = m.att.out_proj.weight.view(d, heads, hd)
                ow[:, 1] = ow[:, 0]
    elif kind == "res":
        d = int(rng.integers(2, 5))
        body = nn.Sequential(nn.Linear(d, d), _act(rng), nn.Linear(d, d))
        if rng.random() < 0.5:
            nn.init.zeros_(body[2].weight)
            nn.init.zeros_(body[2].bias)
        m = nn.Sequential(Residual(body), nn.Linear(d, 2))
        shape = (4, d)
    else:
        d = int(rng.integers(3, 6))
        m = nn.Sequential(nn.Linear(d, d), nn.LayerNorm(d), _act(rng), nn.Linear(d, 2))
        if rng.random() < 0.4:
            nn.init.zeros_(m[0].weight)
            nn.init.zeros_(m[0].bias)
        shape = (4, d)
    loss = [None, "mse", "ce"][int(rng.integers(3))]
    return m, shape, loss, forced


def _loss(kind):
    return {None: None, "mse": nn.MSELoss(), "ce": nn.CrossEntropyLoss()}[kind]


def _targets(kind, batch, out, gen):
    if kind == "mse":
        return torch.randn(batch, out, generator=gen, dtype=torch.float64)
    if kind == "ce":
        return torch.randint(0, out, (batch,), generator=gen)
    return None


def _objective(model, x, loss, t):
    y = model(x)
    return y.sum() if loss is None else loss(y, t)


def _check_ties(params, classes, what):
    p = np.concatenate([params[n].ravel() for n in classes])
    c = np.concatenate([classes[n].ravel() for n in classes])
    hi = np.full(c.max() + 1, -np.inf)
    lo = np.full(c.max() + 1, np.inf)
    np.maximum.at(hi, c, p)
    np.minimum.at(lo, c, p)
    gap = (hi - lo)[np.unique(c)].max()
    assert gap <= BOUND * (1 + np.abs(p).max()), f"{what}: a claimed tie is broken by {gap}"


MODELS = int(os.environ.get("SYMGRAD_LINT_MODELS", "60"))   # make fuzz: 500


@pytest.mark.parametrize("seed", range(MODELS))
def test_claims_hold_when_training(seed):
    model, shape, kind, forced = make(seed)
    gen = torch.Generator().manual_seed(1000 + seed)
    x0 = torch.randn(*shape, generator=gen)
    with torch.no_grad():
        out = model(x0).shape[-1]
    loss = _loss(kind)
    t0 = _targets(kind, shape[0], out, gen)
    r = lint(model, (x0,), loss, None if t0 is None else (t0.float() if t0.is_floating_point() else t0))
    for name, a, b in forced:
        assert (r.classes[name][a] == r.classes[name][b]).all(), f"copied units {a},{b} of {name} not found"
    for opt_name in ("sgd", "adam"):
        m = copy.deepcopy(model).double()
        opt = (torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, weight_decay=0.0)
               # eps 1e-4: Adam divides a gradient that is 0 in exact arithmetic, computed as rounding
               # noise that can differ between copied channels on some CPUs, by eps
               if opt_name == "sgd" else torch.optim.Adam(m.parameters(), lr=0.01, eps=1e-4))
        for step in range(STEPS):
            x = torch.randn(*shape, generator=gen, dtype=torch.float64)
            t = _targets(kind, shape[0], out, gen)
            opt.zero_grad()
            _objective(m, x, loss, t).backward()
            grads = {n: (p.grad.numpy() if p.grad is not None else np.zeros(tuple(p.shape)))
                     for n, p in m.named_parameters()}
            for n, f in r.frozen.items():
                assert (grads[n][f] == 0).all(), f"{opt_name} step {step}: frozen {n} got a gradient"
            _check_ties(grads, r.classes, f"{opt_name} step {step} gradients")
            opt.step()
            _check_ties({n: p.detach().numpy() for n, p in m.named_parameters()}, r.classes,
                        f"{opt_name} after step {step}")


def test_some_random_models_have_findings():
    """The sample is not vacuous: ties and frozen parameters both occur."""
    kinds = set()
    for seed in range(60):
        model, shape, kind, forced = make(seed)
        x = torch.randn(*shape)
        with torch.no_grad():
            out = model(x).shape[-1]
        t = _targets(kind, shape[0], out, torch.Generator().manual_seed(seed))
        r = lint(model, (x,), _loss(kind), None if t is None else (t.float() if t.is_floating_point() else t))
        kinds |= {f.kind for f in r.findings}
    assert {"tied", "frozen"} <= kinds
