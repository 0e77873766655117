"""Stated starts and parameters kept by rows and columns, against independent references.

The reference for every claim is the flat lint of the *realised* model: the same
architecture whose parameters hold values that realise the stated starts
(constants filled in, copies copied, random starts drawn in float64), which
``test_lint_crosscheck`` checks against training in torch.  Against it:

* the same rules through the flat route (a random start as a generic symbol);
* every parameter of two axes or more kept by rows and columns, with the
  structured rules forced (nothing materialised) or allowed to materialise;
* the model on the meta device (no values at all).

Tied classes of live entries and frozen masks must be identical.  A few models
are also trained in float64 from their realised starts: every claim must hold.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from symgrad.base.errors import SymgradError  # noqa: E402
from symgrad.tensor import factored, lint  # noqa: E402
from symgrad.tensor.evidence import realised  # noqa: E402
from symgrad.tensor.result import ByRows  # noqa: E402
from symgrad.tensor.starts import parse, resolve  # noqa: E402
from test_lint_crosscheck import STEPS, _check_ties, _loss, _objective, _targets, make  # noqa: E402

MODELS = int(os.environ.get("SYMGRAD_STRUCTURED_MODELS", "40"))   # make fuzz: 300
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def random_rules(model, rng):
    """A start for every parameter: random, 0, 1, or a copy of an earlier one of its shape."""
    rules, shapes = [], {}
    for name, p in model.named_parameters():
        same = [q for q, s in shapes.items() if s == tuple(p.shape)]
        u = rng.random()
        if same and u < 0.25:
            rules.append(f"{name}=copy of {same[int(rng.integers(len(same)))]}")
        elif u < 0.45:
            rules.append(f"{name}=0")
        elif u < 0.55:
            rules.append(f"{name}=1")
        else:
            rules.append(f"{name}=random")
        shapes[name] = tuple(p.shape)
    return rules


def case(seed):
    rng = np.random.default_rng(seed)
    model, shape, kind, _ = make(seed)
    gen = torch.Generator().manual_seed(1000 + seed)
    x = torch.randn(*shape, generator=gen)
    with torch.no_grad():
        out = model(x).shape[-1]
    t = _targets(kind, shape[0], out, gen)
    t = None if t is None else (t.float() if t.is_floating_point() else t)
    rules = random_rules(model, rng)
    starts = resolve({n: tuple(p.shape) for n, p in model.named_parameters()}, rules, lambda n: True)
    return model, x, _loss(kind), t, rules, starts, (shape, kind, out)


def claims(result):
    """(partition of the live entries as dense ids, frozen mask), over every parameter in order."""
    names = list(result.classes)
    classes = np.concatenate([np.asarray(result.classes[n]).ravel() for n in names])
    frozen = np.concatenate([np.asarray(result.frozen[n]).ravel() for n in names])
    live = np.unique(classes[~frozen], return_inverse=True)[1].reshape(-1)
    return live, frozen


def same_claims(a, b):
    (la, fa), (lb, fb) = claims(a), claims(b)
    assert (fa == fb).all(), "frozen entries differ"
    assert len(la) == len(lb)
    pairs = np.unique(np.stack([la, lb]), axis=1).shape[1]
    assert pairs == len(np.unique(la)) == len(np.unique(lb)), "tied classes differ"


MODES = {"flat": (1 << 20, 1 << 22), "structured": (0, 0), "materialising": (0, 1 << 22)}


@pytest.mark.parametrize("seed", range(MODELS))
def test_every_route_proves_what_the_realised_model_proves(seed, monkeypatch):
    model, x, loss, t, rules, starts, _ = case(seed)
    reference = lint(realised(model, starts), (x,), loss, t)
    for mode, (least, direct) in MODES.items():
        monkeypatch.setattr(factored, "STRUCTURE_MIN", least)
        monkeypatch.setattr(factored, "DIRECT_MAX", direct)
        same_claims(reference, lint(model, (x,), loss, t, init=rules))
    meta = model.to("meta")
    same_claims(reference, lint(meta, (x,), loss, t, init=rules))


@pytest.mark.parametrize("seed", range(0, 48, 4))
def test_structured_claims_hold_when_training(seed, monkeypatch):
    """Independent of the flat lint: train the realised model, check the claims the
    structured route made about the meta model."""
    model, x, loss, t, rules, starts, (shape, kind, out) = case(seed)
    monkeypatch.setattr(factored, "STRUCTURE_MIN", 0)
    monkeypatch.setattr(factored, "DIRECT_MAX", 0)
    r = lint(model.to("meta"), (x,), loss, t, init=rules)
    classes = {n: np.asarray(c) for n, c in r.classes.items()}
    frozen = {n: np.asarray(f) for n, f in r.frozen.items()}
    m = realised(make(seed)[0], starts).double()
    gen = torch.Generator().manual_seed(7 + seed)
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9)
    for step in range(STEPS):
        xs = torch.randn(*shape, generator=gen, dtype=torch.float64)
        opt.zero_grad()
        _objective(m, xs, loss, _targets(kind, shape[0], out, gen)).backward()
        grads = {n: (p.grad.numpy() if p.grad is not None else np.zeros(tuple(p.shape))) for n, p in m.named_parameters()}
        for n, f in frozen.items():
            assert (grads[n][f] == 0).all(), f"step {step}: frozen {n} got a gradient"
        _check_ties(grads, classes, f"step {step} gradients")
        opt.step()
        _check_ties({n: p.detach().numpy() for n, p in m.named_parameters()}, classes, f"after step {step}")


# --- the scenarios practitioners ask about -----------------------------------------------
class LoRA(nn.Module):
    """A frozen base linear plus a low-rank update B A (B starts at zero)."""

    def __init__(self, d=6, r=2):
        super().__init__()
        self.base = nn.Linear(d, d)
        self.lora_A = nn.Linear(d, r, bias=False)
        self.lora_B = nn.Linear(r, d, bias=False)
        self.base.requires_grad_(False)

    def forward(self, x):
        return torch.tanh(self.base(x) + self.lora_B(self.lora_A(x)))


def test_lora_b_at_zero_learns_and_its_a_is_not_frozen():
    r = lint(LoRA().to("meta"), torch.randn(4, 6), init=["*.lora_B.weight=0"])
    kinds = {f.kind: f for f in r.findings}
    assert "learns" in kinds and "lora_B.weight" in kinds["learns"].message
    assert not np.asarray(r.frozen["lora_A.weight"]).any() and not np.asarray(r.frozen["lora_B.weight"]).any()
    assert r.ok


class Stack(nn.Module):
    def __init__(self, d=5, depth=4):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(d, d) for _ in range(depth)])
        self.head = nn.Linear(d, 1)

    def forward(self, x):
        for b in self.blocks:
            x = torch.tanh(b(x))
        return self.head(x)


def test_copied_layers_separate_with_a_certificate(monkeypatch):
    monkeypatch.setattr(factored, "STRUCTURE_MIN", 0)
    r = lint(Stack().to("meta"), torch.randn(3, 5), init=["blocks.1-3=copy of blocks.0", "*=random"])
    sep = [f for f in r.findings if f.kind == "separates"]
    assert sep and all("do not stay tied" in f.message and "autograd (float64)" in f.evidence for f in sep)
    assert not any(f.kind == "tied" for f in r.findings)


class Twins(nn.Module):
    """Two parallel branches reading the same input, summed: copies stay copies."""

    def __init__(self, d=4, h=3):
        super().__init__()
        self.left, self.right = nn.Linear(d, h), nn.Linear(d, h)
        self.out = nn.Linear(h, 1)

    def forward(self, x):
        return self.out(torch.tanh(self.left(x)) + torch.tanh(self.right(x)))


def test_copies_that_stay_copies_are_tied_by_structure(monkeypatch):
    monkeypatch.setattr(factored, "STRUCTURE_MIN", 0)
    r = lint(Twins().to("meta"), torch.randn(5, 4), init=["right=copy of left", "*=random"])
    tied = [f for f in r.findings if f.kind == "tied" and "left.weight" in f.parameters]
    assert tied and "copies that stay copies" in tied[0].message
    assert (np.asarray(r.classes["left.weight"]) == np.asarray(r.classes["right.weight"])).all()


def test_a_zero_layer_behind_relu_freezes_the_next_layer(monkeypatch):
    monkeypatch.setattr(factored, "STRUCTURE_MIN", 0)
    m = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 6), nn.Tanh(), nn.Linear(6, 1))
    r = lint(m.to("meta"), torch.randn(3, 4), init=["0=0", "*=random"])
    assert np.asarray(r.frozen["0.weight"]).all() and np.asarray(r.frozen["2.weight"]).all()
    assert isinstance(r.frozen["2.weight"], ByRows) and r.frozen["2.weight"].all()
    assert any(f.kind == "frozen" and "2.weight" in f.message for f in r.findings)


# --- the result of a structured parameter ---------------------------------------------------
def test_a_structured_parameter_reads_like_an_array(monkeypatch):
    monkeypatch.setattr(factored, "STRUCTURE_MIN", 0)
    r = lint(Twins().to("meta"), torch.randn(5, 4), init=["right=copy of left", "*=random"])
    c = r.classes["left.weight"]
    assert isinstance(c, ByRows) and c.shape == (3, 4) and np.asarray(c).shape == (3, 4)
    assert (c.rows(1, 3) == np.asarray(c)[1:3]).all() and (c[2] == np.asarray(c)[2]).all()
    assert c.count() == len(np.unique(np.asarray(c)))
    data = r.to_json()
    assert data["parameters"]["left.weight"]["kept"] == "by rows and columns"
    monkeypatch.setattr(factored, "MATERIALISE_MAX", 4)
    with pytest.raises(SymgradError, match="rows"):
        np.asarray(c)


def test_what_cannot_be_kept_structured_is_refused_by_name(monkeypatch):
    """An op with no structured rule on a parameter too large to materialise: one
    error naming the op, the parameter and its module."""
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(4, 4))

        def forward(self, x):
            return (x @ torch.exp(self.w)).sum()

    monkeypatch.setattr(factored, "STRUCTURE_MIN", 0)
    monkeypatch.setattr(factored, "MATERIALISE_MAX", 4)
    with pytest.raises(SymgradError, match=r"w \(4, 4\) cannot be kept structured: the op aten.exp.default reads every entry.*module"):
        lint(Odd().to("meta"), torch.randn(2, 4), init=["w=random"])


# --- the rules ----------------------------------------------------------------------------
@pytest.mark.parametrize("rules, problem", [
    (["nothing.here=0"], "matches no parameter"),
    (["0.weight=copy of 1.weight"], "shapes differ"),
    (["0.weight=copy of 9.weight"], "not a parameter"),
    (["0.weight=copy of 2.weight", "2.weight=copy of 0.weight"], "loop"),
    (["0.weight=maybe"], "must be a number"),
    (["0.weight=nan"], "finite"),
    (["0.weight"], "PATTERN=SPEC"),
])
def test_bad_rules_are_one_clear_error(rules, problem):
    shapes = {"0.weight": (3, 2), "1.weight": (2, 2), "2.weight": (3, 2)}
    with pytest.raises(SymgradError, match=problem):
        resolve(shapes, rules, lambda n: True)


def test_rules_read_ranges_prefixes_and_first_match():
    shapes = {f"h.{i}.w": (2, 2) for i in range(4)} | {"h.0.b": (2,)}
    s = resolve(shapes, ["h.2-3=copy of h.0", "*.b=0", "*=random"], lambda n: True)
    assert s["h.3.w"].kind == "copy" and s["h.3.w"].source == "h.0.w"
    assert s["h.1.w"].kind == "random" and s["h.0.b"].value == 0.0
    assert [r.spec.value for r in parse({"a": "one", "b": 0.5})] == [1.0, 0.5]


def test_values_need_storage():
    with pytest.raises(SymgradError, match="no values"):
        resolve({"w": (2, 2)}, ["w=values"], lambda n: False)


# --- the command line ------------------------------------------------------------------------
def test_the_command_line_takes_init_rules(tmp_path):
    f = tmp_path / "meta_model.py"
    f.write_text("import torch\nfrom torch import nn\n\ndef factory():\n"
                 "    with torch.device('meta'):\n"
                 "        m = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))\n"
                 "    return m, torch.randn(2, 4)\n")
    run = lambda *a: subprocess.run([sys.executable, "-m", "symgrad", "lint", f"{f}:factory", *a],
                                    capture_output=True, text=True, cwd=ROOT)
    done = run("--init", "0.weight=0", "--init", "0.bias=0", "--json")
    assert done.returncode == 1, done.stderr
    assert '"frozen"' in done.stdout and "2.weight" in done.stdout
    bad = run("--init", "nothing=0")
    assert bad.returncode == 2 and bad.stderr.count("\n") <= 1 and "matches no parameter" in bad.stdout + bad.stderr
