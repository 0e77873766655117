"""Hostile input: nothing written outside the output, no traceback, no hang,
one clear line (exit 2) that names the field and the limit.

Each test here failed before its fix: Unicode prose that stopped LaTeX, a
byte-order mark, unnamed characters, echoed 100 KB values, devices and FIFOs
read forever, counts built before they were checked, unrolled steps and
algebraic networks whose cost was not bounded, and a structural engine
quadratic in depth.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symgrad import cli

ROOT = Path(__file__).parent.parent
PYTHON = sys.executable
HAVE_TEX = bool(shutil.which("pdflatex"))
NET = "inputs = 2\n[[layers]]\nunits = 2\n[[layers]]\nunits = 1\n"


def run(capsys, *args):
    """The command line in this process: (exit status, stdout, stderr lines)."""
    status = cli.main([str(a) for a in args])
    out = capsys.readouterr()
    return status, out.out, out.err.splitlines()


def symgrad(*args, timeout=60, **options):
    """The command line in a fresh process, killed after ``timeout`` seconds."""
    return subprocess.run([PYTHON, "-m", "symgrad", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=options.pop("cwd", ROOT), **options)


def one_error(status, lines, *fragments):
    """Exit 2 and exactly one error line holding every fragment."""
    assert status == 2, lines
    assert len(lines) == 1 and lines[0].startswith("symgrad: error: "), lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines)
    return lines[0]


# -- 4. Unicode prose and newlines reach LaTeX safely ---------------------------------
PROSE = {"name": "snow \u2603 cafe\u0301 \u4e2d\u6587 \U0001F600",
         "description": "First line.\n\nSecond paragraph with \u2603, x\u0301 and \u00e9.",
         "example": {"summary": "Summary \u2603\n\nwith a blank line", "question": "Why \u2603?\nBecause."},
         "scenarios": [{"title": "Title with \u2603\n\nand a paragraph break", "remark": "\u0301 remark \u2603"}]}


def _prose_file(tmp_path) -> Path:
    lines = [f"name = {json.dumps(PROSE['name'], ensure_ascii=False)}",
             f"description = {json.dumps(PROSE['description'], ensure_ascii=False)}", NET, "[example]"]
    lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in PROSE["example"].items()]
    lines += ["[[scenarios]]"] + [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in PROSE["scenarios"][0].items()]
    path = tmp_path / "prose.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_unicode_prose_is_escaped_for_latex():
    from symgrad.report.environment import escape

    assert escape("snow \u2603") == "snow [U+2603]"
    assert escape("cafe\u0301") == "caf\u00e9"                 # composed: pdfLaTeX typesets it
    assert escape("x\u0301") == "x[U+0301]"                     # nothing to compose with
    assert escape("one\n\ntwo\tthree") == "one two three"       # a blank line would end a paragraph in a title
    assert escape("\u00e9\u00df\u0141\u2014") == "\u00e9\u00df\u0141\u2014"


def test_unicode_prose_and_newlines_typeset_in_a_tex_report(tmp_path, capsys):
    status, _, lines = run(capsys, "report", _prose_file(tmp_path), "-o", tmp_path / "r.tex")
    assert status == 0, lines
    tex = (tmp_path / "r.tex").read_text(encoding="utf-8")
    assert "\u2603" not in tex and "\u0301" not in tex and "[U+2603]" in tex
    assert not any(ord(c) > 0x17F and c not in "\u2013\u2014\u2018\u2019\u201c\u201d" for c in tex)


@pytest.mark.skipif(not HAVE_TEX, reason="no TeX engine installed")
def test_unicode_prose_and_newlines_give_a_pdf(tmp_path):
    out = symgrad("report", _prose_file(tmp_path), "-o", tmp_path / "r.pdf", timeout=120)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "r.pdf").stat().st_size > 1000


def test_unprintable_characters_in_prose_are_named(tmp_path, capsys):
    path = tmp_path / "nbsp.toml"
    path.write_text('description = "a\u00a0b"\n' + NET, encoding="utf-8")
    one_error(*run(capsys, "prove", path)[::2], "description: contains", "U+00A0 NO-BREAK SPACE")
    path.write_text('name = "a\\u0007b"\n' + NET, encoding="utf-8")
    one_error(*run(capsys, "prove", path)[::2], "name: contains the control character U+0007 BELL")


# -- 5. BOM, named characters, elided values ---------------------------------------
@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_byte_order_mark_is_accepted(tmp_path, capsys, suffix):
    path = tmp_path / f"bom{suffix}"
    body = NET if suffix == ".toml" else json.dumps({"inputs": 2, "layers": [{"units": 2}, {"units": 1}]})
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    status, out, lines = run(capsys, "prove", path, "--json")
    assert status == 0, lines
    assert json.loads(out)["invariant"]


def test_a_no_break_space_is_named(tmp_path, capsys):
    path = tmp_path / "nbsp.toml"
    path.write_text("inputs\u00a0= 2\n[[layers]]\nunits = 1\n", encoding="utf-8")
    one_error(*run(capsys, "prove", path)[::2], "invalid TOML", "U+00A0 NO-BREAK SPACE")
    path.write_text(NET + 'name = "a\u00a0b"\n', encoding="utf-8")
    line = one_error(*run(capsys, "prove", path)[::2], "layers[1].name: invalid name", "U+00A0 NO-BREAK SPACE")
    assert "control" not in line


HUGE = "x" * 100_000


@pytest.mark.parametrize("body", [
    f'init = "{HUGE}"\n' + NET,
    f'init = "tied:{HUGE}=w1"\n' + NET,
    NET + f'activation = "{HUGE}"\n',
    NET + f'activation = "relu:{HUGE}"\n',
    NET + f'from = "{HUGE}"\n',
    NET + f'name = "{HUGE}"\n',
    NET + f'names = ["{HUGE}"]\n',
    NET + f"[symbols]\n{HUGE} = \"positive\"\n",
    NET + f'[[data]]\nx1 = "{HUGE}"\n',
    NET + f'[[data]]\n{HUGE} = 1\n',
    f'name = "{HUGE}"\n' + NET,
    f'inputs = ["{HUGE}"]\n[[layers]]\nunits = 1\n',
], ids=["init", "tied", "activation", "relu-slope", "from", "layer-name", "names", "symbol", "data-value",
        "data-key", "network-name", "input-name"])
def test_long_values_are_elided_in_messages(tmp_path, capsys, body):
    path = tmp_path / "long.toml"
    path.write_text(body, encoding="utf-8")
    status, out, lines = run(capsys, "prove", path)
    assert status == 2 and out == "", lines
    assert lines and all(len(line) < 600 for line in lines), [len(line) for line in lines]
    assert HUGE[:1000] not in "".join(lines)


def test_a_very_long_unknown_example_name_is_elided(capsys):
    status, _, lines = run(capsys, "prove", HUGE)
    assert status == 2 and len(lines) == 1 and len(lines[0]) < 600, [len(x) for x in lines]


# -- 6. devices, FIFOs, symlinks: read at most the limit, regular files only -----------
@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_at_once(tmp_path, target):
    link = tmp_path / "net.toml"
    link.symlink_to(target)
    for path in (target, link):
        out = symgrad("prove", path, timeout=30)
        lines = out.stderr.splitlines()
        assert out.returncode == 2 and len(lines) == 1, out.stderr
        assert "not a regular file" in lines[0] and "character device" in lines[0], lines


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "net.toml"
    os.mkfifo(fifo)
    out = symgrad("prove", fifo, timeout=30)
    assert out.returncode == 2 and "named pipe (FIFO), not a regular file" in out.stderr, out.stderr


def test_a_folder_is_refused(tmp_path, capsys):
    folder = tmp_path / "net.toml"
    folder.mkdir()
    one_error(*run(capsys, "prove", folder)[::2], "a folder, not a regular file")


def test_the_size_limit_does_not_trust_stat(tmp_path, monkeypatch):
    """A file that reports size 0 (as /proc files and devices do) is still read
    only up to the limit."""
    from symgrad import description

    path = tmp_path / "net.toml"
    path.write_text("# " + "x" * 2_000 + "\n" + NET)
    monkeypatch.setattr(description, "MAX_FILE_BYTES", 1_000)
    real_stat = os.stat

    class Zero:
        def __init__(self, result):
            self.st_mode, self.st_size = result.st_mode, 0

    monkeypatch.setattr(description.os, "stat", lambda p, *a, **k: Zero(real_stat(p, *a, **k)))
    reads = []
    real_read = os.read
    monkeypatch.setattr(description.os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(description.DescriptionError, match="larger than"):
        description.read_document(path)
    assert sum(reads) <= 1_001 + 1_001


# -- 7. counts checked before anything is built -------------------------------------------
@pytest.mark.parametrize("body, fragment", [
    ("inputs = 1000000000\n[[layers]]\nunits = 1\n", "inputs: expected at most 200,000 inputs"),
    ("inputs = {count = 1000000000}\n[[layers]]\nunits = 1\n", "inputs.count: expected at most 200,000 inputs"),
    ("inputs = 2\n[[layers]]\nunits = 1000000000000\nnames = \"h\"\n", "more than symgrad builds (200,000 nodes"),
    ("inputs = 2\n[[layers]]\ntype = \"conv1d\"\nfilters = 1000000000\nsize = 1\n[[layers]]\nunits = 1\n",
     "more than symgrad builds"),
    ("inputs = 100000\n[[layers]]\nunits = 1\n[data]\ngeneric = 1000\n", "values, more than symgrad builds (200,000)"),
    ("inputs = 2\n[[layers]]\nunits = 1\n[data]\ngeneric = 1000000000000\n", "at most 1,000 samples"),
])
def test_sizes_are_checked_before_anything_is_built(tmp_path, body, fragment):
    path = tmp_path / "big.toml"
    path.write_text(body)
    out = symgrad("prove", path, timeout=120)   # refused before anything is built: a hang would time out
    assert out.returncode == 2 and fragment in out.stderr, out.stderr
    assert len(out.stderr.splitlines()) == 1


def test_a_very_long_path_is_elided(capsys):
    status, _, lines = run(capsys, "prove", "/" + "d" * 100_000 + ".toml")
    one_error(status, lines, "cannot read")
    assert len(lines[0]) < 600


# -- 9. unrolled steps bounded by their cost ---------------------------------------------
def test_unrolling_many_steps_stops_at_the_budget(tmp_path):
    out = symgrad("report", "toy", "--init", "constant", "--steps", "10", "-o", tmp_path / "r.tex", timeout=120)
    lines = out.stderr.splitlines()
    assert out.returncode == 2 and len(lines) == 1, out.stderr
    assert "too costly" in lines[0] and "20,000 nodes (the limit for unrolled steps" in lines[0], lines
    assert "ask for at most 5 steps" in lines[0]
    assert not (tmp_path / "r.tex").exists()


def test_unroll_in_a_file_stops_at_the_budget(tmp_path):
    net = tmp_path / "net.toml"
    net.write_text(NET.replace("units = 2", "units = 2\nactivation = \"tanh\"\nbias = true")
                   + '[[scenarios]]\ninit = "constant:a"\nunroll = 10\n')
    out = symgrad("report", net, "-o", tmp_path / "r.tex", timeout=90)
    assert out.returncode == 2 and "the limit for unrolled steps" in out.stderr, out.stderr


def test_unrolling_within_the_budget_is_unchanged():
    import sympy as sp

    import symgrad as sg

    trajectory = sg.unroll(sg.examples.toy(), sg.Constant("a"), steps=3)
    assert str(trajectory.value(1, "w9")) == "-2*a**2*eta*x1 - 2*a**2*eta*x2 + a"
    assert trajectory.ties(3) == [tuple(sp.symbols(g)) for g in ("w1 w2", "w3 w4", "w5 w6 w7 w8", "w9 w10")]



# -- 10. the algebraic size estimate counts activations, biases and samples ----------------
def test_a_wide_tanh_network_with_biases_is_refused_at_once():
    out = symgrad("prove", "--mlp", "400,400,1", "--activation", "tanh", "--bias", timeout=60)
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1, out.stderr
    assert "too large for the algebraic engine (size 1,289,616 > limit 1,000,000" in out.stderr
    assert "times 8 for non-polynomial activations with biases" in out.stderr and "--engine structural" in out.stderr


def test_a_softmax_behind_nonlinear_units_weighs_its_classes():
    """Every logit's gradient carries every class's probability through the hidden units:
    100-100-10 with tanh and cross-entropy runs for over 13 minutes; it is weighed by the
    square of its 10 classes and refused at once (a 30-30-10 one is proven in seconds)."""
    out = symgrad("prove", "--mlp", "100,100,10", "--activation", "tanh", "--objective", "cross_entropy", timeout=60)
    assert out.returncode == 2 and len(out.stderr.splitlines()) == 1, out.stderr
    assert ("size 4,444,000 > limit 1,000,000: edges and neurons times samples, times 400 for non-polynomial "
            "activations and a softmax over 10 classes behind them (the square of the classes)") in out.stderr
    small = symgrad("prove", "--mlp", "30,30,10", "--activation", "tanh", "--objective", "cross_entropy", timeout=300)
    assert small.returncode == 0, small.stderr


def test_the_size_estimate_weighs_activations_biases_and_samples():
    import symgrad as sg
    from symgrad.model.size import work_size

    linear, tanh = sg.Network.mlp([10, 10, 1]), sg.Network.mlp([10, 10, 1], activation="tanh")
    with_bias = sg.Network.mlp([10, 10, 1], activation="tanh", bias=True)
    assert work_size(tanh) == 4 * work_size(linear)
    assert work_size(with_bias) == 8 * (with_bias.edge_count + len(with_bias.neurons))
    assert work_size(linear.with_data(sg.data.generic(linear, 3))) == 3 * work_size(linear)


@pytest.mark.parametrize("name", ["toy", "softmax_ce", "softmax_ce_hidden", "relu", "sigma_mlp", "conv_filters",
                                  "perceptron"])
def test_every_built_in_example_fits_the_size_limit(name):
    import symgrad as sg
    from symgrad.model.size import check_size

    example = sg.examples.example(name)
    for scenario in example.scenarios:
        net = scenario.network() if scenario.network else example.build()
        check_size(net.with_data(scenario.data(net)) if scenario.data else net)


# -- 11. the structural engine on very deep networks -----------------------------------------
def test_a_very_deep_network_is_refused_by_the_structural_engine_at_once():
    out = symgrad("prove", "--mlp", ",".join(["1"] * 20_000), "--engine", "structural", timeout=120)
    lines = out.stderr.splitlines()
    assert out.returncode == 2 and len(lines) == 1 and len(lines[0]) < 600, out.stderr
    assert "too deep for the structural engine" in lines[0] and "more than 200,000,000" in lines[0]


def test_deep_but_affordable_networks_still_prove_structurally():
    import symgrad as sg

    proof = sg.prove(sg.Network.mlp([1] * 2000 + [1]), sg.Constant("a"), engine="structural")
    assert len(proof.invariant) == 2000


@pytest.mark.skipif(not HAVE_TEX, reason="no TeX engine installed")
def test_long_accented_prose_gives_a_pdf(tmp_path):
    net = tmp_path / "net.toml"
    net.write_text('description = "' + "caf\u00e9" * 200 + '"\n' + NET, encoding="utf-8")
    out = symgrad("report", net, "-o", tmp_path / "r.pdf", timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr


def test_a_deep_network_prints_a_bounded_chain_that_stays_true():
    """``derive`` of a deep ReLU net with biases: the explicit form is
    exponentially long, so unfolding stops at the node budget; every step
    printed is still the gradient (checked against finite differences from
    the network's structure at a point where every unit is active)."""
    import random

    import sympy as sp
    from reference import finite_difference, mp

    import symgrad as sg
    from symgrad.base.limits import CHAIN_NODES, STEP_NODES, expression_nodes

    net = sg.Network.mlp([1] * 30, activation="relu", bias=True)
    d = sg.derive(net)
    rng = random.Random(3)
    params = [sp.Rational(rng.randint(11, 13), 10) for _ in net.parameters]   # every pre-activation positive
    point = dict(zip(net.parameters, params)) | {net.inputs[0]: sp.Rational(1, 2)}
    for k in (0, 1, len(net.parameters) // 2, len(net.parameters) - 1):
        steps = d.steps(net.parameters[k])
        assert all(expression_nodes([s], STEP_NODES) <= STEP_NODES for s in steps)
        assert sum(expression_nodes([s], CHAIN_NODES) for s in steps[1:]) <= CHAIN_NODES
        expected = finite_difference(net, [mp.mpf(p.p) / p.q for p in params], {net.inputs[0]: 0.5}, {}, k)
        last = steps[-1].xreplace(point)
        values = d.forward | d.pre | d.deltas   # the last step may still name values defined above it
        for _ in range(4 * len(net.parameters)):
            last = last.xreplace({s: v for s, v in values.items() if s in last.free_symbols}).xreplace(point)
        assert not last.free_symbols
        assert abs(float(last) - float(expected)) < 1e-12
    text = str(d)
    assert len(text) < 200 * len(net.parameters) * 50   # bounded by the budget, not exponential


def test_a_deep_relu_network_is_proven_by_cases_not_by_expansion():
    """The induction step of a 4-layer ReLU network needs case reasoning
    (z H(z) = max(0, z)); the cases are split by sign (3 per function), so
    the proof is the same as SymPy's piecewise folding gave, without its cost."""
    import symgrad as sg

    proof = sg.prove(sg.Network.mlp([3, 3, 3, 3, 1], activation="relu"), sg.Constant("a"))
    assert sorted(len(c) for c in proof.invariant_classes) == [3, 3, 3, 3, 18]
    assert not proof.undecided


def test_a_report_on_a_large_network_is_refused_at_once(capsys):
    """A report shows every parameter with its gradient: 48,620 of them would
    be megabytes of LaTeX after half a minute of work (the fuzz found it)."""
    status, out, err = run(capsys, "report", "--mlp", "220,220,1", "-o", "r.tex")
    assert status == 2 and out == "" and len(err) == 1
    assert "at most 2,000 parameters, and 'mlp 220-220-1' has 48,620" in err[0]
    assert not Path("r.tex").exists()
