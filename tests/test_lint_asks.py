"""The lint fixpoint asks each round only what can still change (gradient colours
where an element shares its class, zero patterns where it is alone but frozen,
nothing once it is settled).  Checked against the plain fixpoint written out
here (every gradient's colours every round, classes split by numpy's unique)
and against training in torch float64, on small transformers built to reach
every kind of ask: a tied embedding (two gradient contributions) with values
drawn from a few levels (many shared values), position rows no token reaches
(alone and frozen), zero gates, several rounds.
"""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from symgrad.maths.palette import ZERO, Palette  # noqa: E402
from symgrad.tensor import lint  # noqa: E402
from symgrad.tensor.capture import capture  # noqa: E402
from symgrad.tensor.interpret import run  # noqa: E402


class Tiny(nn.Module):
    def __init__(self, vocab, width, context, gate):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(context, width)
        self.ln = nn.LayerNorm(width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width))
        self.gate = nn.Parameter(torch.zeros(width) if gate else torch.ones(width))

    def forward(self, idx):
        h = self.wte(idx) + self.wpe(torch.arange(idx.shape[-1]))
        h = h + self.gate * self.mlp(self.ln(h))
        return h @ self.wte.weight.T                  # the head tied to the embedding


def make(seed):
    rng = np.random.default_rng(seed)
    vocab, width, context = int(rng.integers(5, 9)), int(rng.integers(3, 6)), 8
    model = Tiny(vocab, width, context, gate=bool(rng.random() < 0.5))
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name in ("wte.weight", "mlp.0.weight") or rng.random() < 0.3:   # a few levels: shared values,
                levels = rng.integers(-2, 3, tuple(p.shape)) / 4.0            # and some alone among them
                p.copy_(torch.from_numpy(np.where(rng.random(p.shape) < 0.7, levels, rng.normal(size=p.shape))))
    tokens = int(rng.integers(2, 5))
    idx = torch.from_numpy(rng.integers(0, vocab, (2, tokens)))
    return model, idx


def plain_fixpoint(model, idx):
    """Partition and frozen set by the definition: all colours, every round."""
    cap = capture(model, (idx,), None, None)
    names = list(cap.params)
    values = {n: cap.params[n].detach().double().numpy() + 0.0 for n in names}
    flat = np.concatenate([values[n].ravel() for n in names])
    classes = np.unique(flat, return_inverse=True)[1].ravel()
    frozen = np.ones(len(flat), bool)
    sizes = [values[n].size for n in names]
    for _ in range(100):
        pal = Palette()
        colours = np.where(frozen, pal.const(flat), 0)
        base = pal.count
        pal._grow(int(classes.max()) + 1)
        colours = np.where(frozen, colours, base + classes)
        per, o = {}, 0
        for n, k in zip(names, sizes):
            per[n] = colours[o:o + k].reshape(values[n].shape)
            o += k
        grads = run(cap, pal, per, (idx,))
        g = np.concatenate([grads[n].ravel() for n in names])
        now = frozen & (g == ZERO)
        mark = np.where(now, -1, g)
        new = np.unique(np.stack([classes, mark], axis=1), axis=0, return_inverse=True)[1].ravel()
        if len(np.unique(new)) == len(np.unique(classes)) and (now == frozen).all():
            return names, sizes, classes, frozen
        classes, frozen = new, now
    raise AssertionError("the plain fixpoint did not settle")


def same_partition(a, b):
    pairs = np.unique(np.stack([a, b], axis=1), axis=0)
    return len(pairs) == len(np.unique(a)) == len(np.unique(b))


@pytest.mark.parametrize("seed", range(12))
def test_asking_less_finds_the_same_fixpoint(seed):
    model, idx = make(seed)
    r = lint(model, idx)
    names, sizes, classes, frozen = plain_fixpoint(model, idx)
    mine = np.concatenate([r.classes[n].ravel() for n in names])
    assert same_partition(mine, classes)
    assert (np.concatenate([r.frozen[n].ravel() for n in names]) == frozen).all()


@pytest.mark.parametrize("seed", range(4))
def test_a_gradient_summed_in_blocks_is_the_one_summed_whole(seed, monkeypatch):
    """The sums of a parameter used twice are named a few elements at a time (entry by
    entry, not as a sum of grids, so that the blocks are what is compared)."""
    import symgrad.tensor.interpret as interpret
    import symgrad.tensor.grid_sums as grid_sums
    model, idx = make(seed)
    whole = lint(model, idx)
    monkeypatch.setattr(interpret, "GRADIENT_BLOCK", 3)
    monkeypatch.setattr(grid_sums, "grid_sum", lambda *a: None)
    blocks = lint(model, idx)
    for n in whole.classes:
        assert same_partition(whole.classes[n].ravel(), blocks.classes[n].ravel())
        assert (whole.frozen[n] == blocks.frozen[n]).all()
    names, sizes, classes, frozen = plain_fixpoint(model, idx)
    assert same_partition(np.concatenate([blocks.classes[n].ravel() for n in names]), classes)


@pytest.mark.parametrize("seed", range(12))
def test_claims_hold_when_training(seed):
    model, idx = make(seed)
    r = lint(model, idx)
    m = copy.deepcopy(model).double()
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
    gen = torch.Generator().manual_seed(seed)
    start = {n: p.detach().clone() for n, p in m.named_parameters()}
    for _ in range(4):
        x = torch.randint(0, model.wte.num_embeddings, tuple(idx.shape), generator=gen)
        opt.zero_grad()
        (m(x) * torch.randn(m(x).shape, generator=gen, dtype=torch.float64)).sum().backward()
        opt.step()
        for n, p in m.named_parameters():
            now = p.detach().numpy()
            assert (now[r.frozen[n]] == start[n].numpy()[r.frozen[n]]).all(), f"frozen {n} moved"
    flat = np.concatenate([p.detach().numpy().ravel() for _, p in m.named_parameters()])
    cls = np.concatenate([r.classes[n].ravel() for n, _ in m.named_parameters()])
    for c in np.unique(cls):
        members = flat[cls == c]
        assert np.ptp(members) <= 1e-9 * (1 + np.abs(flat).max()), "a claimed tie broke in training"


def test_the_models_reach_every_kind_of_ask():
    """Not vacuous: shared values, alone-and-frozen rows and several rounds occur."""
    rounds, frozen_rows = set(), 0
    for seed in range(12):
        model, idx = make(seed)
        r = lint(model, idx)
        rounds.add(r.rounds)
        frozen_rows += int(r.frozen["wpe.weight"].all(axis=1).sum())
    assert max(rounds) >= 3 and frozen_rows > 0


class ScaledByConstant(nn.Module):          # a parameter that never moves, equal to a graph constant
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([0.3, 0.3]))
        self.v = nn.Parameter(torch.tensor([0.5]), requires_grad=False)

    def forward(self, x):
        return torch.tanh(self.w[0] * x * self.v) + torch.tanh(self.w[1] * x * 0.5)


class ScaledThroughDetach(nn.Module):       # trainable, but reached only through detach
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([0.3, 0.3]))
        self.v = nn.Parameter(torch.tensor([2.0]))

    def forward(self, x):
        return torch.tanh(self.w[0] * x * self.v.detach()) + torch.tanh(self.w[1] * x * 2.0)


class ProjectedByBuffer(nn.Module):         # a frozen parameter equal to a buffer
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.tensor([0.3, 0.3]))
        self.p = nn.Parameter(torch.tensor([0.7, -1.3]), requires_grad=False)
        self.register_buffer("b", torch.tensor([0.7, -1.3]))

    def forward(self, x):
        return torch.tanh(self.w[0] * (x @ self.p)) + torch.tanh(self.w[1] * (x @ self.b))


@pytest.mark.parametrize("model", [ScaledByConstant, ScaledThroughDetach, ProjectedByBuffer])
def test_a_frozen_parameter_is_the_constant_of_its_value(model):
    """Round one colours a parameter as the constant it is then, so a tie through
    an equal graph constant or buffer is found; and it holds in training."""
    m = model()
    shape = (4, 2) if model is ProjectedByBuffer else (4,)
    r = lint(m, (torch.randn(*shape),))
    assert r.classes["w"][0] == r.classes["w"][1]
    m = copy.deepcopy(m).double()
    opt = torch.optim.Adam([p for p in m.parameters() if p.requires_grad], lr=0.05)
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        opt.zero_grad()
        m(torch.randn(*shape, generator=gen, dtype=torch.float64)).sum().backward()
        opt.step()
        assert m.w[0].item() == m.w[1].item()
