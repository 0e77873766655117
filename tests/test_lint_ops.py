"""Each family of rules against training in float64: models built to exercise an op
(often with copies forced in, so there are claims to break), trained with SGD and
Adam on fresh random inputs; claimed ties hold to the bound, frozen gradients are 0."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from symgrad.tensor import lint  # noqa: E402

BOUND = 1e-8


def check_training(model, sample, loss=None, target=None, steps=3, seed=0):
    """lint, then train the model itself and check every claim; returns the lint result."""
    gen = torch.Generator().manual_seed(seed)
    x0 = sample(gen, torch.float32)
    t0 = target(gen, torch.float32) if target else None
    r = lint(model, x0, loss, t0)
    for make_opt in (lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
                     # eps 1e-4, not 1e-8: a gradient that is 0 in exact arithmetic (a bias before a batch
                     # norm) comes out as rounding noise of 1e-13 that differs between copied channels on
                     # some CPUs (AVX-512 kernels), and Adam divides it by eps
                     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.01, eps=1e-4)):
        m = copy.deepcopy(model).double().train()
        opt = make_opt([p for p in m.parameters() if p.requires_grad])
        for _ in range(steps):
            x = sample(gen, torch.float64)
            out = m(*x)
            obj = out.sum() if loss is None else loss(out, target(gen, torch.float64))
            opt.zero_grad()
            obj.backward()
            grads = {n: (p.grad.numpy() if p.grad is not None else np.zeros(tuple(p.shape)))
                     for n, p in m.named_parameters()}
            for n, f in r.frozen.items():
                if r.trainable[n]:
                    assert (grads[n][f] == 0).all(), f"frozen {n} got a gradient"
            opt.step()
            vals = {n: p.detach().numpy() for n, p in m.named_parameters()}
            for what in (grads, vals):
                p = np.concatenate([what[n].ravel() for n in r.classes])
                c = np.concatenate([r.classes[n].ravel() for n in r.classes])
                hi, lo = np.full(c.max() + 1, -np.inf), np.full(c.max() + 1, np.inf)
                np.maximum.at(hi, c, p)
                np.minimum.at(lo, c, p)
                gap = (hi - lo)[np.unique(c)].max()
                assert gap <= BOUND * (1 + np.abs(p).max()), f"a claimed tie broke by {gap}"
    return r


def normal(*shape):
    return lambda g, dt: (torch.randn(*shape, generator=g, dtype=dt),)


def copy_rows(weight, bias=None, i=0, j=1):
    with torch.no_grad():
        weight[j] = weight[i]
        if bias is not None:
            bias[j] = bias[i]


def test_batchnorm_conv_with_copied_channels():
    torch.manual_seed(1)
    m = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                      nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(3, 2, 1), nn.Flatten())
    copy_rows(m[0].weight, m[0].bias)
    with torch.no_grad():
        m[4].weight[:, 1] = m[4].weight[:, 0]
    r = check_training(m, normal(3, 2, 5, 5))
    assert (r.classes["0.weight"][0] == r.classes["0.weight"][1]).all()
    assert r.classes["1.weight"][0] == r.classes["1.weight"][1]


def test_groupnorm_conv1d_groups_dilation_avgpool():
    torch.manual_seed(2)
    m = nn.Sequential(nn.Conv1d(4, 4, 3, groups=2, dilation=2, padding=2), nn.GroupNorm(2, 4), nn.SiLU(),
                      nn.AvgPool1d(2), nn.Flatten(), nn.Linear(16, 2))
    r = check_training(m, normal(3, 4, 8), nn.MSELoss(), lambda g, dt: torch.randn(3, 2, generator=g, dtype=dt))
    assert r.ok


def test_embedding_data_indices_and_positions():
    class Tok(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(7, 4, padding_idx=0)
            self.pos = nn.Embedding(5, 4)
            self.norm = nn.RMSNorm(4)
            self.out = nn.Linear(4, 3)

        def forward(self, idx):
            h = self.emb(idx) + self.pos(torch.arange(idx.shape[1]))
            return self.out(self.norm(h)).sum(1)
    torch.manual_seed(3)
    m = Tok()
    copy_rows(m.emb.weight, None, 1, 2)
    r = check_training(m, lambda g, dt: (torch.randint(0, 7, (2, 5), generator=g),), nn.CrossEntropyLoss(),
                       lambda g, dt: torch.randint(0, 3, (2,), generator=g))
    assert r.frozen["emb.weight"][0].all() and not r.frozen["emb.weight"][1:].any()
    assert not (r.classes["emb.weight"][1] == r.classes["emb.weight"][2]).any()   # any token may occur


def test_causal_attention_with_copied_heads_and_log_softmax_nll():
    class Causal(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = nn.Linear(4, 12)
            self.out = nn.Linear(4, 3)

        def forward(self, x):
            B, L, _ = x.shape
            q, k, v = self.qkv(x).view(B, L, 3, 2, 2).permute(2, 0, 3, 1, 4).unbind(0)
            a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            y = self.out(a.transpose(1, 2).reshape(B, L, 4))
            return F.log_softmax(y[:, -1], dim=-1)
    torch.manual_seed(4)
    m = Causal()
    with torch.no_grad():
        w, b = m.qkv.weight.view(3, 2, 2, 4), m.qkv.bias.view(3, 2, 2)
        w[:, 1], b[:, 1] = w[:, 0], b[:, 0]
        m.out.weight[:, 2:] = m.out.weight[:, :2]
    r = check_training(m, normal(2, 4, 4), nn.NLLLoss(), lambda g, dt: torch.randint(0, 3, (2,), generator=g))
    c = r.classes["qkv.weight"].reshape(3, 2, 2, 4)
    assert (c[:, 0] == c[:, 1]).all()


def test_multihead_attention_with_weights_path():
    torch.manual_seed(5)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.att = nn.MultiheadAttention(4, 2, batch_first=True)
            self.ln = nn.LayerNorm(4)

        def forward(self, x):
            a, w = self.att(x, x, x)
            return self.ln(a + x) * w.mean()
    r = check_training(M(), normal(2, 3, 4), nn.MSELoss(), lambda g, dt: torch.randn(2, 3, 4, generator=g, dtype=dt))
    assert not any(f.kind == "frozen" for f in r.findings)


def test_shape_ops_where_div_and_probability_targets():
    class Shapes(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 6)
            self.b = nn.Linear(3, 4)
            self.register_buffer("mask", torch.tensor([True, False, True, True]))

        def forward(self, x):
            p, q = self.a(x).chunk(2, dim=-1)
            r = torch.cat([p * q, torch.stack([p[:, 0], q[:, 1]], 1)], dim=1)[:, [0, 2, 3, 4]]
            s = torch.where(self.mask, r, torch.zeros_like(r)).masked_fill(~self.mask, 1.0)
            t = torch.split(self.b(x), 2, dim=1)
            u = (s - t[0].repeat(1, 2)) / (1.5 + torch.sigmoid(t[1]).mean(-1, keepdim=True))
            return torch.addmm(u, x, torch.ones(3, 4, dtype=x.dtype)).permute(1, 0).t().unsqueeze(0).squeeze(0)
    torch.manual_seed(6)
    m = Shapes()
    probs = lambda g, dt: torch.softmax(torch.randn(5, 4, generator=g, dtype=dt), -1)
    check_training(m, normal(5, 3), nn.CrossEntropyLoss(), probs)


def test_bce_with_logits_and_adaptive_pool_and_flat_matmul():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(1, 2, 2)
            self.v = nn.Parameter(torch.randn(8))

        def forward(self, x):
            h = F.adaptive_avg_pool2d(F.gelu(self.conv(x)), (2, 2)).flatten(1)
            return torch.matmul(h, self.v)
    torch.manual_seed(7)
    check_training(M(), normal(3, 1, 6, 5), nn.BCEWithLogitsLoss(),
                   lambda g, dt: torch.randint(0, 2, (3,), generator=g).to(dt))


def test_zero_layer_norm_input_is_exact():
    """A zero row into LayerNorm normalises to exactly 0: the norm's weight gets no
    gradient while the zero layer feeding it does (LayerNorm passes deltas back)."""
    torch.manual_seed(8)
    m = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 2))
    nn.init.zeros_(m[0].weight)
    nn.init.zeros_(m[0].bias)
    m[0].requires_grad_(False)
    r = check_training(m, normal(4, 3))
    assert r.frozen["1.weight"].all() and not r.frozen["1.bias"].any()


class ZeroDim(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.z, self.v = torch.nn.Parameter(torch.tensor(0.5)), torch.nn.Parameter(torch.tensor(2.0))
        self.u = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return (self.z * self.z * self.v * x).sum() + self.u * self.u * x.sum()


class CastsItsWeight(torch.nn.Module):          # runs only in its own dtypes, not in float64
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2).half()
        self.z = torch.nn.Parameter(torch.zeros(2))

    def forward(self, x):
        return (x @ self.lin.weight.float().T).sum() + (self.z * self.z).sum()


@pytest.mark.parametrize("model, x", [(ZeroDim, (4,)), (CastsItsWeight, (4, 3))])
def test_zero_dim_parameters_and_dtype_casts(model, x):
    """0-d parameters keep their shape through the rules; a model that cannot run in
    float64 still gets its proof, with its evidence stated as unavailable; the frozen
    claims agree with autograd in the model's own dtypes."""
    m = model()
    r = lint(m, torch.randn(*x))
    m(torch.randn(*x)).backward()
    for n, p in m.named_parameters():
        g = torch.zeros_like(p) if p.grad is None else p.grad
        assert (g[torch.from_numpy(np.asarray(r.frozen[n]))] == 0).all()
    if model is ZeroDim:
        assert bool(r.frozen["u"]) and not r.frozen["z"] and not r.frozen["v"]
    else:
        assert r.frozen["z"].all()
        assert r.frozen["lin.bias"].all()
        assert all("no float64 evidence" in f.evidence for f in r.findings)
