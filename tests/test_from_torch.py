"""``sg.from_torch``: a small torch model as a scalar network, checked against torch.

The reference is torch's own autograd (float64) on the model itself: the
converted network's gradients at the model's initial values must equal it
(to float64 rounding), for every op the conversion writes.  What it cannot
write exactly is refused with the op and the module path.  And the ties it
lets the scalar engines prove must survive training the model in torch.
"""
import copy

import numpy as np
import pytest
import sympy as sp

torch = pytest.importorskip("torch")
nn = torch.nn
pytestmark = pytest.mark.usefixtures("torch_float64")   # models built and compared in float64
F = nn.functional

import symgrad as sg  # noqa: E402
from symgrad.base.errors import SymgradError  # noqa: E402
from symgrad.maths.backends import FLOAT  # noqa: E402
from symgrad.maths.backprop import gradients_over  # noqa: E402

BOUND = 1e-12   # float64 rounding over a few dozen operations of values of order 1


class Attention(nn.Module):
    def __init__(self, heads):
        super().__init__()
        self.att = nn.MultiheadAttention(4, heads, batch_first=True)
        self.out = nn.Linear(4, 2)

    def forward(self, x):
        a, _ = self.att(x, x, x)                 # need_weights: the averaged weights are computed, then unused
        return self.out(torch.tanh(a + x)).mean(1)


class Causal(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(3, 2), nn.Linear(3, 2, bias=False), nn.Linear(3, 2)

    def forward(self, x):
        y = F.scaled_dot_product_attention(self.q(x), self.k(x), self.v(x), is_causal=True)
        return (y * y).sum() / 3 - y.mean()


class Gated(nn.Module):
    def __init__(self):
        super().__init__()
        self.up, self.gate, self.down = nn.Linear(3, 4), nn.Linear(3, 4), nn.Linear(4, 1)
        self.scale = nn.Parameter(torch.tensor([0.5, -2.0, 1.5, 3.0]))

    def forward(self, x):
        return self.down(F.silu(self.gate(x)) * self.up(x) * self.scale + 0.25)


def _models():
    return {
        "mlp relu tanh": (nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Tanh()), (2, 3), None),
        "mlp sigmoid, mse": (nn.Sequential(nn.Linear(3, 3), nn.Sigmoid(), nn.Linear(3, 2)), (2, 3), "mse"),
        "mlp, labels": (nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 3)), (2, 3), "labels"),
        "mlp, soft targets": (nn.Sequential(nn.Linear(3, 4), nn.SiLU(), nn.Linear(4, 3)), (2, 3), "soft"),
        "conv1d": (nn.Sequential(nn.Conv1d(2, 3, 3, padding=1), nn.ReLU(), nn.Conv1d(3, 2, 2, stride=2)), (1, 2, 6), None),
        "conv2d groups, pools": (nn.Sequential(nn.Conv2d(2, 2, 3, padding=1, groups=2), nn.Tanh(), nn.AvgPool2d(2),
                                               nn.Flatten(), nn.Linear(8, 1)), (1, 2, 4, 4), None),
        "adaptive pool": (nn.Sequential(nn.Conv2d(1, 2, 2), nn.Sigmoid(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                                        nn.Linear(8, 2)), (2, 1, 5, 5), "mse"),
        "attention, 1 head": (Attention(1), (1, 3, 4), None),
        "attention, 2 heads": (Attention(2), (2, 2, 4), "labels"),
        "causal attention": (Causal(), (1, 3, 3), None),
        "gated, scaled": (Gated(), (2, 3), None),
    }


def _objective(kind, out_shape):
    gen = torch.Generator().manual_seed(7)
    if kind == "mse":
        return nn.MSELoss(), torch.randn(*out_shape, generator=gen)
    if kind == "labels":
        return nn.CrossEntropyLoss(), torch.randint(0, out_shape[-1], out_shape[:-1], generator=gen)
    if kind == "soft":
        return nn.CrossEntropyLoss(), torch.softmax(torch.randn(*out_shape, generator=gen), -1)
    return None, None


def _torch_gradients(model, x, loss, targets):
    model.zero_grad()
    out = model(x)
    (out.sum() if loss is None else loss(out, targets)).backward()
    return {n: p.grad.detach().numpy() for n, p in model.named_parameters()}


def _network_gradients(imported, x, targets):
    """The converted network's gradients at the inputs ``x`` and its initial point."""
    net = imported.network
    sample = dict(zip(net.inputs, x.reshape(-1).tolist()))
    if targets is not None and targets.is_floating_point():
        sample.update(zip(net.targets, targets.reshape(-1).tolist()))
    for given in net.samples:
        sample.update({s: float(v) for s, v in given.items()})
    return gradients_over(net, FLOAT, [float(v) for v in imported.init.values(net)], [sample])




@pytest.mark.parametrize("name", sorted(_models()))
def test_gradients_equal_torch_autograd(name):
    torch.manual_seed(3)
    model, shape, kind = _models()[name]
    x = torch.randn(*shape)
    with torch.no_grad():
        loss, targets = _objective(kind, tuple(model(x).shape))
    imported = sg.from_torch(model, x, loss, targets)
    mine = _network_gradients(imported, x, targets)
    for path, expected in _torch_gradients(model, x, loss, targets).items():
        index = imported.index[path]
        got = np.array([mine[p] if p >= 0 else 0.0 for p in index.ravel()]).reshape(index.shape)
        assert np.abs(got - expected).max() <= BOUND * (1 + np.abs(expected).max()), path


def test_exact_gradients_are_the_model_s_own():
    """``sg.derive`` of the converted network, evaluated exactly at rational
    inputs, is torch's gradient (float64) of the model at those inputs."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    x = torch.tensor([[0.5, -1.25]])
    imported = sg.from_torch(model, x)
    derivation = sg.derive(imported)
    point = dict(zip(imported.network.parameters, imported.init.values(imported.network)))
    point.update(zip(imported.network.inputs, map(sp.Rational, x.reshape(-1).tolist())))
    expected = _torch_gradients(model, x, None, None)
    for path, grad in expected.items():
        for element in np.ndindex(grad.shape):
            exact = derivation.gradient(imported.parameter(path, element)).subs(point)
            assert abs(float(exact) - grad[element]) <= BOUND


def test_the_initialisation_is_the_model_s_values_read_exactly():
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight[:] = torch.tensor([[0.1, 0.1]])
        model.bias[:] = -0.0
    imported = sg.from_torch(model, torch.randn(1, 2))
    values = imported.init.values(imported.network)
    assert values == [sp.Rational(0.1), sp.Rational(0.1), 0]
    assert sp.Rational(0.1) != sp.Rational(1, 10)      # the float itself, not a decimal guess
    assert "2 distinct values" in imported.init.describe()


def test_copied_units_are_proven_tied_and_stay_tied_when_training():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 2))
    with torch.no_grad():
        model[0].weight[1] = model[0].weight[0]
        model[0].bias[1] = model[0].bias[0]
        model[2].weight[:, 1] = model[2].weight[:, 0]
    x, targets = torch.randn(4, 3), torch.randn(4, 2)
    imported = sg.from_torch(model, x, nn.MSELoss(), targets)
    row = lambda r: tuple(imported.parameter("0.weight", (r, k)) for k in range(3))
    for engine in ("structural", "algebraic"):
        proof = sg.prove(imported, engine=engine)
        for a, b in zip(row(0), row(1)):
            assert proof.class_of(a) == proof.class_of(b) and len(proof.class_of(a)) == 2, engine
        assert proof.class_of(imported.parameter("0.weight", (2, 0))) == (imported.parameter("0.weight", (2, 0)),)
    trained = copy.deepcopy(model)
    opt = torch.optim.Adam(trained.parameters(), lr=0.05)
    gen = torch.Generator().manual_seed(5)
    for _ in range(5):
        opt.zero_grad()
        F.mse_loss(trained(torch.randn(4, 3, generator=gen)), torch.randn(4, 2, generator=gen)).backward()
        opt.step()
    w = trained[0].weight.detach()
    assert torch.equal(w[0], w[1]) and not torch.equal(w[0], w[2])


@pytest.mark.parametrize("model, shape, op", [
    (nn.Sequential(nn.Linear(2, 3), nn.LayerNorm(3)), (2, 2), "layer_norm"),
    (nn.Sequential(nn.Linear(2, 3), nn.GELU()), (2, 2), "gelu"),
    (nn.Sequential(nn.Linear(2, 3), nn.Dropout(0.5)), (2, 2), "dropout"),
    (nn.Sequential(nn.Linear(2, 4), nn.MaxPool1d(2)), (1, 2), "max_pool"),
])
def test_what_has_no_exact_scalar_form_is_named_with_its_module(model, shape, op):
    with pytest.raises(SymgradError) as error:
        sg.from_torch(model, torch.randn(*shape))
    message = str(error.value)
    assert op in message and "module '1'" in message and "lint" in message, message


def test_a_model_too_big_for_the_scalar_level_is_refused():
    with pytest.raises(SymgradError, match="more than 20,000 scalar nodes"):
        sg.from_torch(nn.Linear(300, 100), torch.randn(80, 300))


def test_an_imported_model_prints_and_proves_with_its_own_init():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    imported = sg.from_torch(model, torch.randn(1, 2))
    text = str(imported)
    assert text.startswith("The torch model Sequential as a scalar network (objective sum of the outputs)")
    assert "Network 'Sequential': 2 inputs, 3 neurons, 6 weights, 3 biases" in text
    assert repr(imported) == "<Imported Sequential: 9 parameters, 6 scalar nodes>"
    assert sg.prove(imported).init is imported.init


def _symgrad(*args, cwd=None):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True, timeout=600,
                          cwd=cwd)


MODELS = __import__("pathlib").Path(__file__).resolve().parent.parent / "examples" / "models"


def test_the_command_line_proves_a_model_file_as_a_scalar_network(tmp_path):
    """Hidden units 4-7 of the widened MLP are copies of units 0-3: the
    algebraic engine proves each copy's incoming weights tied forever."""
    done = _symgrad("prove", f"{MODELS / 'widened_mlp.py'}:factory", "--json")
    assert done.returncode == 0, done.stderr
    import json
    invariant = json.loads(done.stdout)["invariant"]
    assert ["p0_weight_0_0", "p0_weight_4_0"] in invariant and ["p0_weight_3_2", "p0_weight_7_2"] in invariant
    refused = _symgrad("prove", f"{MODELS / 'widened_mlp.py'}:factory", "--init", "zero")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "its factory made" in refused.stderr
    written = _symgrad("report", f"{MODELS / 'widened_mlp.py'}:factory", "--scalar", "-o", "wide.tex", cwd=tmp_path)
    assert written.returncode == 0 and (tmp_path / "wide.tex").stat().st_size > 0, written.stderr


def test_attention_beyond_the_algebraic_limit_is_refused_with_its_reason():
    refused = _symgrad("prove", f"{MODELS / 'copied_heads.py'}:factory")
    assert refused.returncode == 2 and "softmax over 5 positions reading products of values" in refused.stderr
    structural = _symgrad("prove", f"{MODELS / 'copied_heads.py'}:factory", "--engine", "structural", "--json")
    import json
    invariant = json.loads(structural.stdout)["invariant"]
    assert ["attn_in_proj_weight_0_0", "attn_in_proj_weight_4_0"] in invariant      # head 1's query row 0 = head 0's
