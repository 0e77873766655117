"""symgrad.tensor.lint on the example models, the command, the assertions and printing."""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from symgrad.base.errors import SymgradError  # noqa: E402
from symgrad.tensor import lint, supported_ops  # noqa: E402
from symgrad.tensor import command  # noqa: E402
from symgrad.tensor.assertions import assert_no_frozen_parameters, assert_no_persistent_ties  # noqa: E402

MODELS = os.path.join(os.path.dirname(__file__), "..", "examples", "models")


def example(name):
    model, inputs, loss, targets = command.build(os.path.join(MODELS, name + ".py") + ":factory")
    return lint(model, inputs, loss, targets), model


def kinds(result):
    return sorted({f.kind for f in result.findings})


def test_zero_gated_mlp_never_moves_behind_relu():
    r, _ = example("zero_gated_mlp")
    assert not r.ok
    for n in ("gate.0.weight", "gate.0.bias", "gate.2.weight"):
        assert r.frozen[n].all(), n
    assert not r.frozen["gate.2.bias"].any() and not r.frozen["fc.weight"].any()
    frozen = [f for f in r.findings if f.kind == "frozen"]
    assert {f.module_path for f in frozen} == {"gate.0", "gate.2"}
    assert any("weight decay" in f.message for f in frozen)          # gate.2.weight is nonzero
    assert all("exactly 0" in f.evidence for f in frozen)


def test_lora_with_only_b_zero_learns():
    r, model = example("lora_b_zero")
    assert r.ok and not any(m.any() for n, m in r.frozen.items() if r.trainable[n])
    learns = [f for f in r.findings if f.kind == "learns"]
    assert [f.parameters for f in learns] == [("0.lora_B",)]
    a = model[0].lora_A.detach()
    assert (a != 0).all() and len(a.unique()) > 1   # what the finding says of lora_A, read off the model itself
    assert learns[0].message.startswith("0.lora_B starts at zero and learns (0.lora_A is random: no entry 0, not all equal)")
    assert "above the rounding bound" in learns[0].evidence
    assert r.frozen["0.base.weight"].all() and not r.trainable["0.base.weight"]   # requires_grad=False


def test_lora_with_both_factors_zero_is_frozen():
    r, _ = example("lora_both_zero")
    assert not r.ok and r.frozen["0.lora_A"].all() and r.frozen["0.lora_B"].all()
    assert kinds(r) == ["frozen"]


def test_copied_attention_heads_stay_tied():
    r, model = example("copied_heads")
    assert not r.ok
    c = r.classes["attn.in_proj_weight"].reshape(3, 2, 4, 8)
    assert (c[:, 0] == c[:, 1]).all()
    o = r.classes["attn.out_proj.weight"].reshape(8, 2, 4)
    assert (o[:, 0] == o[:, 1]).all()
    assert "12 effective units of 24" in " ".join(f.message for f in r.findings)


def test_widened_mlp_has_four_effective_units():
    r, _ = example("widened_mlp")
    assert not r.ok
    c = r.classes["0.weight"]
    assert (c[:4] == c[4:]).all() and len({tuple(row) for row in c}) == 4
    assert any("4 effective units of 8" in f.message for f in r.findings)
    assert all("MSELoss" in f.message for f in r.findings)


def test_residual_zero_gamma_learns():
    r, _ = example("residual_zero_gamma")
    assert r.ok
    assert [f.parameters for f in r.findings if f.kind == "learns"] == [("bn2.weight",)]


def test_deep_copied_encoder_layers_separate():
    r, _ = example("deep_copied_encoders")
    assert r.ok
    sep = [f for f in r.findings if f.kind == "separates"]
    assert len(sep) == 1 and sep[0].module_path == "layers.0" and "layers.1" in sep[0].message
    a, b = r.classes["layers.0.linear1.weight"], r.classes["layers.1.linear1.weight"]
    assert not (a == b).any()


def test_zero_output_layer_with_cross_entropy_learns_but_ties_under_sum():
    r, model = example("zero_output_ce")
    assert r.ok and {f.parameters for f in r.findings if f.kind == "learns"} == {("2.weight",)}
    s = lint(model, torch.randn(8, 4))                     # objective: sum of the outputs
    c = s.classes["2.weight"]
    assert (c == c[0]).all() and any("sum of the outputs" in f.message for f in s.findings)


def test_classes_are_comparable_across_parameters():
    class Twins(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 2)
            self.b = nn.Linear(3, 2)
            self.b.load_state_dict(self.a.state_dict())

        def forward(self, x):
            return torch.tanh(self.a(x)) + torch.tanh(self.b(x))
    r = lint(Twins(), torch.randn(4, 3))
    assert (r.classes["a.weight"] == r.classes["b.weight"]).all()
    assert any(set(f.parameters) >= {"a.weight", "b.weight"} for f in r.findings)


def test_dropout_breaks_ties_and_says_so():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    nn.init.constant_(m[0].weight, 0.5)
    nn.init.constant_(m[0].bias, 0.1)
    r = lint(m, torch.randn(5, 3))
    assert len(np.unique(r.classes["0.weight"])) == 12
    assert any("dropout" in n and "breaks ties" in n for n in r.notes)


def test_unsupported_op_names_op_module_and_line():
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return torch.cumsum(self.fc(x), 0)
    with pytest.raises(SymgradError) as e:
        lint(Odd(), torch.randn(2, 3))
    msg = str(e.value)
    assert "aten.cumsum" in msg and "test_lint.py" in msg and "torch.cumsum" in msg


def test_supported_ops_cover_the_required_families():
    ops = set(supported_ops())
    for op in ("linear.default", "matmul.default", "bmm.default", "addmm.default", "mm.default",
               "t.default", "conv2d.default", "conv1d.default", "convolution.default",
               "embedding.default", "layer_norm.default", "native_layer_norm.default",
               "rms_norm.default", "batch_norm.default", "_native_batch_norm_legit_functional.default",
               "group_norm.default", "relu.default", "gelu.default", "silu.default", "tanh.default",
               "sigmoid.default", "softmax.int", "_softmax.default", "log_softmax.int",
               "scaled_dot_product_attention.default", "add.Tensor", "sub.Tensor", "mul.Tensor",
               "div.Tensor", "view.default", "reshape.default", "_unsafe_view.default", "permute.default",
               "transpose.int", "flatten.using_ints", "expand.default", "cat.default", "split.Tensor",
               "chunk.default", "slice.Tensor", "select.int", "index.Tensor", "unsqueeze.default",
               "squeeze.dim", "clone.default", "contiguous.default", "detach.default", "sum.dim_IntList",
               "mean.dim", "max_pool2d.default", "avg_pool2d.default", "adaptive_avg_pool2d.default",
               "dropout.default", "mse_loss.default", "cross_entropy_loss.default", "nll_loss.default"):
        assert "aten." + op in ops, op


def test_command_exit_status_and_json(tmp_path):
    parser = argparse.ArgumentParser()
    command.add_parser(parser.add_subparsers())
    run = lambda *a: command.run(parser.parse_args(["lint", *a]))
    text, status = run(os.path.join(MODELS, "widened_mlp.py") + ":factory", "--json")
    data = json.loads(text)
    assert status == 1 and {"model", "parameters", "findings", "tied", "frozen"} <= set(data)
    assert ["0.weight[0, 0]", "0.weight[4, 0]"] in data["tied"]
    text, status = run(os.path.join(MODELS, "zero_output_ce.py"))          # FACTORY defaults
    assert status == 0 and "ok: nothing tied forever" in text
    text, status = run(os.path.join(MODELS, "zero_gated_mlp.py:factory"), "--json")
    assert status == 1 and json.loads(text)["frozen"]["gate.0.bias"] == [[i] for i in range(8)]
    bad = tmp_path / "bad.py"
    bad.write_text("def factory():\n    return 3\n")
    assert run(f"{bad}:factory")[1] == 2
    assert run(f"{bad}:nothing")[1] == 2
    assert run(str(tmp_path / "missing.py"))[1] == 2
    assert json.loads(run(f"{bad}:factory", "--json")[0])["error"]


def test_assertions_fail_with_finding_and_evidence():
    model, inputs = command.build(os.path.join(MODELS, "widened_mlp.py"))[:2]
    with pytest.raises(AssertionError, match="effective units.*\n.*evidence"):
        assert_no_persistent_ties(model, inputs)
    model, inputs = command.build(os.path.join(MODELS, "zero_gated_mlp.py"))[:2]
    with pytest.raises(AssertionError, match="never move"):
        assert_no_frozen_parameters(model, inputs)
    assert_no_persistent_ties(model, inputs)               # frozen, but not tied


def test_printing():
    r, _ = example("zero_gated_mlp")
    assert "gate.0.weight" in str(r) and "evidence:" in str(r)
    assert repr(r).startswith("LintResult(") and "ok=False" in repr(r)
    latex = r._repr_latex_()
    assert r"\begin{itemize}" in latex and "gate.0.weight" in latex and r"$|$grad$|$" in latex


def test_import_does_not_need_torch():
    code = "import sys, symgrad.tensor; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_train_mode_is_restored():
    m = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.1)).eval()
    lint(m, torch.randn(3, 2))
    assert not m.training and not m[1].training


def test_hash_collisions_never_give_false_ties(monkeypatch):
    """With a hash that collides almost always, verification keeps the result exact."""
    from symgrad.maths import palette
    model, inputs, loss, targets = command.build(os.path.join(MODELS, "widened_mlp.py"))
    good = lint(model, inputs, loss, targets)
    monkeypatch.setattr(palette, "row_hash", lambda tag, rows: (rows.sum(axis=1) % 5).astype(np.uint64))
    bad = lint(model, inputs, loss, targets)
    for n in good.classes:
        a, b = good.classes[n].ravel(), bad.classes[n].ravel()
        assert ((a[:, None] == a[None, :]) == (b[:, None] == b[None, :])).all(), n
    assert any("collisions" in note for note in bad.notes)


def test_fx_fallback_captures_the_same_graph():
    from symgrad.tensor.capture import _fx
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    nn.init.zeros_(m[0].weight)
    nn.init.zeros_(m[0].bias)
    cap = _fx(m, (torch.randn(5, 3),), "", [])
    from symgrad.tensor.refine import fixpoint
    fp = fixpoint(cap, (torch.randn(5, 3),))
    frozen = fp.split(fp.frozen)
    assert frozen["0.weight"].all() and frozen["2.weight"].all() and not frozen["2.bias"].any()


def test_a_frozen_verdict_behind_a_relu_names_its_slope_at_zero():
    """Zero weights before a ReLU freeze themselves only because relu'(0) = 0
    (PyTorch's autograd value; with slope 1 at 0 they would learn): the
    finding says so, and a note names the modules that use the convention."""
    nn = torch.nn
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    nn.init.zeros_(model[0].weight)
    nn.init.zeros_(model[0].bias)
    result = lint(model, torch.randn(5, 3))
    frozen = [f for f in result.findings if f.kind == "frozen" and "0.weight" in f.parameters]
    assert frozen and "(zero fixpoint, with relu'(0) = 0)" in frozen[0].message
    assert any("relu'(0) = 0" in n and "'1'" in n for n in result.notes)
    smooth = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    assert not any("relu'(0)" in n for n in lint(smooth, torch.randn(5, 3)).notes)


def test_a_lint_report_lists_the_findings_and_the_module_tree(tmp_path, capsys):
    """``symgrad report FILE.py:FACTORY -o FILE.tex``: the findings with their
    evidence, what was assumed, and a row per module and parameter (frozen
    entries counted by autograd here: every entry of gate.0.weight has gradient 0)."""
    import shutil

    from symgrad import cli

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples", "models"))
    try:
        import zero_gated_mlp
    finally:
        sys.path.pop(0)
    model, inputs = zero_gated_mlp.factory()[:2]
    model.double()
    model(*(x.double() for x in inputs)).sum().backward()
    assert (model.gate[0].weight.grad == 0).all()
    target = os.path.join(os.path.dirname(__file__), "..", "examples", "models", "zero_gated_mlp.py:factory")
    assert cli.main(["report", target, "-o", str(tmp_path / "lint.tex")]) == 0
    tex = (tmp_path / "lint.tex").read_text()
    assert r"\textbf{never moves}: gate.0.weight (zero init)" in tex and r"\emph{Evidence:} autograd" in tex
    assert "relu'(0) = 0" in tex and r"\texttt{weight} & 8 x 4 & yes & 32 of 32 & 1" in tex
    assert "The objective is the sum of the outputs" in tex
    assert cli.main(["report", target, "--init", "zero", "-o", str(tmp_path / "x.tex")]) == 2
    assert "state starts as PATTERN=SPEC rules" in capsys.readouterr().err
    if shutil.which("pdflatex"):
        assert cli.main(["report", target, "-o", str(tmp_path / "lint.pdf")]) == 0
        text = subprocess.run(["pdftotext", str(tmp_path / "lint.pdf"), "-"], capture_output=True, text=True).stdout
        assert "never moves" in text and "The parameters, by module" in text
