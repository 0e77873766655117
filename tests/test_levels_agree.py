"""The tensor level and the scalar level agree on random small torch models.

Each model (an MLP, a 1-D convolution with average pooling, attention with
1 or 2 heads; some with units, filters or heads copied, some with a layer
at one constant or at zero) is linted at the tensor level and converted to
a scalar network (``sg.from_torch``), where both scalar engines prove it.
Colour refinement is the same proof at both levels, so the lint's classes
must equal the structural engine's when no parameter starts at 0 (the
lint's zero analysis, which the structural engine does not have, can only
merge more); and the lint must never claim more than the algebraic engine
proves: every lint tie is an algebraic tie forever, or a tie of two
parameters the algebraic engine proves frozen at one value, and every
parameter the lint calls frozen is proven frozen there.
"""
import os

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
pytestmark = pytest.mark.usefixtures("torch_float64")   # models built and compared in float64

import symgrad as sg  # noqa: E402

MODELS = int(os.environ.get("SYMGRAD_LEVEL_MODELS", "30"))    # make fuzz: 300




class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.att = nn.MultiheadAttention(d, heads, batch_first=True)
        self.head = nn.Linear(d, 1)

    def forward(self, x):
        a, _ = self.att(x, x, x, need_weights=False)
        return self.head(torch.tanh(a + x))


def _act(rng):
    return [nn.ReLU(), nn.Tanh(), nn.Sigmoid(), nn.SiLU()][int(rng.integers(4))]


def _copy_rows(*pairs):
    """Copy row (or slice) ``i`` of each tensor onto slice ``j`` (in place)."""
    with torch.no_grad():
        for tensor, i, j in pairs:
            tensor[j] = tensor[i]


def make(seed):
    """A random convertible model, its input shape and its loss kind."""
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    kind = ["mlp", "conv", "attention"][seed % 3]
    if kind == "mlp":
        d, h = int(rng.integers(2, 4)), int(rng.integers(2, 5))
        m = nn.Sequential(nn.Linear(d, h), _act(rng), nn.Linear(h, int(rng.integers(1, 3))))
        if rng.random() < 0.5:
            _copy_rows((m[0].weight, 0, 1), (m[0].bias, 0, 1), (m[2].weight.T, 0, 1))
        if rng.random() < 0.3:
            nn.init.constant_(m[0].weight, 0.5)
            nn.init.constant_(m[0].bias, -0.25)
        if rng.random() < 0.2:
            nn.init.zeros_(m[2].weight)
        shape = (2, d)
    elif kind == "conv":
        c = int(rng.integers(2, 4))
        m = nn.Sequential(nn.Conv1d(2, c, int(rng.integers(2, 4)), padding=int(rng.integers(2))), _act(rng),
                          nn.AvgPool1d(2), nn.Flatten())
        with torch.no_grad():
            width = m(torch.zeros(1, 2, 6)).shape[1]
        m = nn.Sequential(*m, nn.Linear(width, 1))
        if rng.random() < 0.6:                       # filter 1 a copy of filter 0, read alike
            positions = width // c
            _copy_rows((m[0].weight, 0, 1), (m[0].bias, 0, 1),
                       (m[4].weight.T.view(c, positions, 1), 0, 1))
        shape = (1, 2, 6)
    else:
        d, heads = 2 * int(rng.integers(1, 3)), int(rng.integers(1, 3))
        m = Attention(d, heads)
        if heads == 2 and rng.random() < 0.7:
            hd = d // heads
            w = m.att.in_proj_weight.data.view(3, heads, hd, d)
            b = m.att.in_proj_bias.data.view(3, heads, hd)
            _copy_rows((w.transpose(0, 1), 0, 1), (b.transpose(0, 1), 0, 1),
                       (m.att.out_proj.weight.data.view(d, heads, hd).transpose(0, 1), 0, 1))
        shape = (1, 2, d)
    return m, shape, ["sum", "mse", "soft_ce"][int(rng.integers(3))]


def _objective(kind, out_shape, gen):
    if kind == "sum":
        return None, None
    if kind == "mse":
        return nn.MSELoss(), torch.randn(*out_shape, generator=gen)
    if out_shape[-1] < 2:
        return nn.MSELoss(), torch.randn(*out_shape, generator=gen)
    return nn.CrossEntropyLoss(), torch.softmax(torch.randn(*out_shape, generator=gen), -1)


def _scalar_classes(lint, imported):
    """The lint's class of each scalar parameter (by its index in the network)."""
    found = {}
    for path, classes in lint.classes.items():
        index = imported.index.get(path)
        if index is not None:
            found.update((int(p), int(c)) for p, c in zip(index.ravel(), classes.ravel()) if p >= 0)
    return [found[p] for p in range(imported.network.parameter_count)]


def _pairs(labels):
    groups = {}
    for p, label in enumerate(labels):
        groups.setdefault(label, []).append(p)
    return {(a, b) for g in groups.values() for a in g for b in g if a < b}


@pytest.mark.parametrize("seed", range(MODELS))
def test_the_levels_agree(seed):
    model, shape, kind = make(seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(*shape, generator=gen)
    with torch.no_grad():
        out_shape = tuple(model(x).shape)
    loss, targets = _objective(kind, out_shape, gen)
    lint = sg.lint(model, x, loss, targets)
    imported = sg.from_torch(model, x, loss, targets)
    structural = sg.prove(imported, engine="structural")
    algebraic = sg.prove(imported)
    tensor = _pairs(_scalar_classes(lint, imported))
    by_structure = _pairs(structural.invariant_classes.colours())
    values = algebraic.initial_values
    if all(v != 0 for v in values):
        assert tensor == by_structure, "colour refinement differs between the levels"
    assert by_structure <= tensor
    frozen = set(algebraic.frozen_parameters)
    proven = _pairs(algebraic.invariant_classes.colours())
    kept = {(a, b) for a in frozen for b in frozen if a < b and values[a] == values[b]}
    assert tensor <= proven | kept, "the lint claims a tie the algebraic engine does not prove"
    lint_frozen = {int(p) for path, mask in lint.frozen.items() if path in imported.index
                   for p in imported.index[path][mask] if p >= 0}
    assert lint_frozen <= frozen, "the lint calls frozen what the algebraic engine does not prove frozen"


def test_the_sample_is_not_vacuous():
    """Some models have ties that both levels find (copied units, filters, heads)."""
    tied = 0
    for seed in range(min(MODELS, 15)):
        model, shape, _ = make(seed)
        x = torch.randn(*shape)
        imported = sg.from_torch(model, x)
        tied += bool(_pairs(sg.prove(imported, engine="structural").invariant_classes.colours()))
    assert tied >= 5
