"""Issue 4: LaTeX and PDF reports through Jinja2 templates."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import symgrad as sg
from symgrad.base.errors import TeXError
from symgrad.specs.description import describe
from symgrad.report import figures_by_file, render, write_report
from symgrad.report.compile import compile_pdf, overfull_boxes, tex_engine
from symgrad.report.content import example_context, network_context
from symgrad.report.environment import env, escape

REPORTS = Path(__file__).resolve().parent.parent / "reports"
HAVE_TEX = tex_engine() is not None
# CI installs TeX and sets this, so that a missing engine fails instead of skipping
REQUIRE_TEX = os.environ.get("SYMGRAD_REQUIRE_TEX") == "1"
needs_tex = pytest.mark.skipif(not HAVE_TEX and not REQUIRE_TEX, reason="no TeX engine installed")


@pytest.fixture(scope="module")
def contexts():
    return {name: example_context(sg.examples.example(name)) for name in sg.examples.names()}


@pytest.mark.parametrize("name", sg.examples.names())
def test_committed_tex_is_up_to_date(contexts, name):
    committed = (REPORTS / f"{name}.tex").read_text(encoding="utf-8")
    assert render(contexts[name], name) == committed, f"reports/{name}.tex is stale: run `make tex-sources`"


@needs_tex
@pytest.mark.parametrize("name", sg.examples.names())
def test_every_example_compiles_without_overfull_lines(contexts, name, tmp_path):
    assert HAVE_TEX, "no TeX engine: install one with scripts/install-tex.sh"
    log = compile_pdf(render(contexts[name]), tmp_path / f"{name}.pdf", figures_by_file(contexts[name]))
    assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert overfull_boxes(log) == []


def test_toy_report_shows_the_seed(contexts):
    tex = render(contexts["toy"])
    # the diagram: each weight on its edge, x1 -> y1 is w1, x2 -> y1 is w3, y3 -> y is w9 ...
    nodes = dict(re.findall(r"\\node\[\w+\] \((n\d+)\) at \([^)]*\) \{\$([^$]*)\$\}", tex))
    edges = {(nodes[s], nodes[t]): w for s, w, t in re.findall(r"\\draw\[weight\] \((n\d+)\) -- node\[[^]]*\] \{\$([^$]*)\$\} \((n\d+)\)", tex)}
    assert edges[("x_{1}", "y_{1}")] == "w_{1}" and edges[("x_{1}", "y_{2}")] == "w_{2}"
    assert edges[("x_{2}", "y_{1}")] == "w_{3}" and edges[("y_{2}", "y_{3}")] == "w_{7}"
    assert edges[("y_{3}", "y")] == "w_{9}" and edges[("y_{4}", "y")] == "w_{10}" and len(edges) == 10
    # every derivation of the seed appears
    for seed in [r"w_{5} \left(w_{1} x_{1} + w_{3} x_{2}\right) + w_{7} \left(w_{2} x_{1} + w_{4} x_{2}\right)",
                 r"w_{9} \left(w_{1} x_{1} + w_{3} x_{2}\right)", r"w_{10} \left(w_{2} x_{1} + w_{4} x_{2}\right)",
                 r"x_{1} \left(w_{5} w_{9} + w_{10} w_{6}\right)", r"x_{2} \left(w_{7} w_{9} + w_{10} w_{8}\right)"]:
        assert seed in tex, seed
    assert "Theorem (stationary point)" in tex and "Theorem (ties that last forever)" in tex


def test_prose_is_escaped_and_nothing_reaches_tex_as_a_command():
    spec = {"name": r"\input{/etc/passwd} & 100% $x$", "inputs": 2, "layers": [{"units": 1}],
            "description": r"evil \write18{touch /tmp/pwned} ~ ^ _ #"}
    net = describe(spec).network
    tex = render(network_context(net, sg.Constant("a")))
    assert r"\input{" not in tex and r"\write18" not in tex
    assert escape(spec["name"]) in tex


@pytest.mark.parametrize("bad", ["w_{1}", "x&1", r"\input", "x 1", "lambda", "E"])
def test_names_that_would_break_latex_are_refused(bad):
    with pytest.raises(sg.SymgradError, match="invalid name"):
        sg.Network.mlp([2, 1], names={"inputs": [bad, "x2"]})


def test_escape_filter_and_delimiters():
    assert escape("a_b & c%") == r"a\_b \& c\%"
    rendered = env().from_string(r"\VAR{x} \BLOCK{ if y }yes\BLOCK{ endif }").render(x="$5", y=True)
    assert rendered == r"\$5 yes"


def test_a_failed_compile_quotes_the_log_and_writes_nothing(tmp_path):
    if not HAVE_TEX:
        pytest.skip("no TeX engine installed")
    target = tmp_path / "broken.pdf"
    with pytest.raises(TeXError, match=r"Undefined control sequence"):
        compile_pdf("\\documentclass{article}\\begin{document}\\nosuchmacro\\end{document}", target)
    assert list(tmp_path.iterdir()) == []


def test_shell_escape_is_off(tmp_path):
    if not HAVE_TEX:
        pytest.skip("no TeX engine installed")
    marker = tmp_path / "pwned"
    source = ("\\documentclass{article}\\begin{document}\\immediate\\write18{touch %s}x\\end{document}" % marker)
    compile_pdf(source, tmp_path / "x.pdf")
    assert not marker.exists()


def test_cli_report_writes_tex_and_pdf(tmp_path):
    out = subprocess.run([sys.executable, "-m", "symgrad", "report", "toy", "--init", "zero", "-o", str(tmp_path / "z.tex")],
                         capture_output=True, text=True)
    assert out.returncode == 0 and (tmp_path / "z.tex").read_text().startswith("%") is False
    assert "every weight 0" in (tmp_path / "z.tex").read_text()


def test_without_tex_the_cli_writes_tex_and_says_how(tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python").symlink_to(sys.executable)
    env_vars = {**os.environ, "PATH": str(bindir)}
    out = subprocess.run([sys.executable, "-m", "symgrad", "report", "toy", "-o", str(tmp_path / "x.pdf")],
                         capture_output=True, text=True, env=env_vars)
    assert out.returncode == 3
    assert (tmp_path / "x.tex").exists() and not (tmp_path / "x.pdf").exists()
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "install" in lines[0] and "x.tex" in lines[0]


def test_bad_output_suffix_is_an_error(tmp_path):
    with pytest.raises(sg.SymgradError, match=r"\.tex or \.pdf"):
        write_report(network_context(sg.examples.toy(), sg.Zero()), tmp_path / "x.docx")
    assert shutil.which("true")  # the machine has a shell at all


@pytest.mark.skipif(not shutil.which("pdflatex"), reason="no TeX engine installed")
def test_the_same_source_compiles_to_the_same_pdf_bytes(tmp_path):
    """Rebuilding the committed reports on a clean clone changes no file: pdfTeX's
    dates and /ID come from a fixed SOURCE_DATE_EPOCH."""
    import time

    from symgrad.report.compile import compile_pdf

    source = "\\documentclass{article}\\begin{document}Same.\\end{document}\n"
    compile_pdf(source, tmp_path / "a.pdf")
    time.sleep(1.1)   # a later second: a date taken from the clock would differ
    compile_pdf(source, tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


@pytest.mark.parametrize("name", ["toy", "relu"])
def test_a_report_proves_each_scenario_once_then_typesets(name, monkeypatch):
    """The study computes every result once (the toy's quotient and trace read its
    first scenario's proof); typesetting runs no engine."""
    import symgrad.report.study as study
    from symgrad.report import content

    calls = []
    real = study.prove
    monkeypatch.setattr(study, "prove", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    example = sg.examples.example(name)
    found = study.study_example(example)
    expected = len(example.scenarios) + sum(len(s.conventions) for s in example.scenarios)
    assert len(calls) == expected
    monkeypatch.setattr(study, "prove", lambda *a, **k: pytest.fail("typesetting ran a proof"))
    ctx = content.context(found)
    assert len(ctx["scenarios"]) == len(example.scenarios) and len(ctx["analyses"]) == len(example.analyses)
