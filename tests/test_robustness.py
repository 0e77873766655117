"""Hostile input and interrupted work: nothing executed, nothing lost.

Reports with TeX commands in their names, the size and time limits, and
progress on a terminal (interrupts: ``test_interrupts.py``)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from symgrad import cli

HAVE_TEX = shutil.which("pdflatex") is not None
ROOT = Path(__file__).parent.parent


def symgrad(*args, **options):
    return subprocess.run([sys.executable, "-m", "symgrad", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, **options)


def test_tex_commands_in_prose_are_printed_literally_and_never_run(tmp_path):
    if not HAVE_TEX:
        pytest.skip("no TeX engine installed")
    pwned = Path("/tmp/pwned")
    pwned.unlink(missing_ok=True)
    net = tmp_path / "evil.toml"
    net.write_text('name = "\\\\input{/etc/passwd}"\n'
                   'description = "\\\\write18{touch /tmp/pwned} and \\\\immediate\\\\write18{touch /tmp/pwned}"\n'
                   "inputs = 2\n[[layers]]\nunits = 1\n", encoding="utf-8")
    out = symgrad("report", net, "-o", tmp_path / "evil.pdf")
    assert out.returncode == 0, out.stderr
    text = subprocess.run(["pdftotext", "-layout", tmp_path / "evil.pdf", "-"], capture_output=True, text=True).stdout
    flat = "".join(text.split())
    assert "\\input{/etc/passwd}" in flat            # shown as text, not read
    assert "\\write18{touch/tmp/pwned}" in flat       # shown as text, not run
    assert "root:" not in text                        # /etc/passwd was not included
    assert not pwned.exists()


@pytest.mark.parametrize("name", ["\\\\input{/etc/passwd}", "\\\\write18{touch /tmp/pwned}"])
def test_tex_commands_as_symbol_names_are_refused(name, tmp_path):
    net = tmp_path / "evil.toml"
    net.write_text(f'inputs = ["{name}", "x2"]\n[[layers]]\nunits = 1\n', encoding="utf-8")
    out = symgrad("report", net, "-o", tmp_path / "evil.pdf")
    assert out.returncode == 2 and "invalid name" in out.stderr and len(out.stderr.splitlines()) == 1
    assert not (tmp_path / "evil.pdf").exists() and not (tmp_path / "evil.tex").exists()
    assert not Path("/tmp/pwned").exists()


def test_a_finished_report_replaces_the_earlier_one_whole(tmp_path):
    report = tmp_path / "toy.tex"
    report.write_text("the earlier report")
    out = symgrad("report", "toy", "-o", report)
    assert out.returncode == 0
    assert report.read_text().startswith("\\documentclass") and report.read_text().rstrip().endswith("\\end{document}")


def test_the_time_limit_stops_a_long_proof_with_one_line():
    # 90,000 tanh weights with biases: minutes of work on any machine, so exit 4 (not 0) shows that
    # the limit stopped it (a smaller network that took longer than 1 s once finished in time)
    out = symgrad("prove", "--mlp", "300,300,1", "--activation", "tanh", "--bias", "--max-size", "100000000",
                  "--timeout", "1")
    assert out.returncode == 4 and out.stdout == ""
    assert out.stderr.splitlines() == [("symgrad: error: stopped after 1 s (--timeout 1); a larger network may need "
                                        "--engine structural")]


def test_the_size_limit_suggests_the_structural_engine():
    out = symgrad("prove", "--mlp", "300,300,1", "--activation", "relu")
    assert out.returncode == 2
    assert "too large for the algebraic engine (size 5,798,464 > limit 1,000,000" in out.stderr
    assert "--engine structural" in out.stderr and len(out.stderr.splitlines()) == 1
    assert symgrad("prove", "--mlp", "300,300,1", "--activation", "relu", "--engine", "structural", "--json").returncode == 0
    small = symgrad("prove", "--mlp", "3,3,1", "--max-size", "10")
    assert small.returncode == 2 and "limit 10" in small.stderr


def test_progress_is_shown_on_a_terminal_only(capsys, monkeypatch):
    assert cli.main(["prove", "toy"]) == 0
    assert capsys.readouterr().err == ""          # not a terminal: quiet
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli.main(["prove", "toy"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert "symgrad: gradients at the initial point: 10 parameters" in err
    assert "symgrad: refining ties: round 1, 1 class" in err and "symgrad: refining ties: round 2, 4 classes" in err


def test_a_description_file_bigger_than_a_megabyte_is_refused(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 1_100_000 + "\ninputs = 2\n")
    out = symgrad("derive", big)
    assert out.returncode == 2 and "larger than 1 MB" in out.stderr


@pytest.mark.parametrize("path", ["/etc", "/nonexistent/net.toml", "/dev/null"])
def test_unreadable_paths_are_one_line(path):
    out = symgrad("derive", path)
    lines = out.stderr.splitlines()
    assert out.returncode == 2 and lines and all(line.startswith(f"symgrad: error: {path}") for line in lines)
    assert "Traceback" not in out.stderr


def test_deeply_nested_documents_are_refused_cleanly(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("inputs = " + "[" * 5000 + "]" * 5000 + "\n")
    out = symgrad("derive", deep)
    assert out.returncode == 2 and "Traceback" not in out.stderr and len(out.stderr.splitlines()) == 1


def test_latex_runs_with_paranoid_file_access():
    from symgrad.report import compile as compiling

    source = Path(compiling.__file__).read_text()
    assert '"openout_any": "p"' in source and '"openin_any": "p"' in source and "-no-shell-escape" in source
    assert os.environ.get("shell_escape") != "t"


def test_a_new_report_gets_the_usual_permissions_and_a_replaced_one_keeps_its_own(tmp_path):
    from symgrad.report.compile import write_atomic

    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.tex", "x")
        assert (tmp_path / "new.tex").stat().st_mode & 0o777 == 0o644
        (tmp_path / "old.tex").write_text("y")
        (tmp_path / "old.tex").chmod(0o600)
        write_atomic(tmp_path / "old.tex", "z")
        assert (tmp_path / "old.tex").stat().st_mode & 0o777 == 0o600 and (tmp_path / "old.tex").read_text() == "z"
    finally:
        os.umask(umask)


def test_a_deep_network_is_refused_by_the_algebraic_engine_and_proved_by_the_structural_one(tmp_path):
    deep = tmp_path / "deep.toml"
    deep.write_text("inputs = 1\n" + '[[layers]]\nunits = 2\nactivation = "tanh"\n' * 300 + "[[layers]]\nunits = 1\n")
    out = symgrad("prove", deep)
    assert out.returncode == 2 and "is too deep for the algebraic engine (301 layers of neurons" in out.stderr
    out = symgrad("prove", deep, "--engine", "structural", "--json")
    assert out.returncode == 0 and len(json.loads(out.stdout)["invariant"]) == 301   # one class per layer


def test_a_long_chain_of_from_references_is_ordered_without_recursion(tmp_path):
    chain = tmp_path / "chain.toml"
    layers = [f'[[layers]]\nname = "l{i}"\nunits = 1\nfrom = "{f"l{i + 1}" if i < 1999 else "inputs"}"\n'
              for i in range(2000)]
    chain.write_text("inputs = 1\n" + "".join(layers))
    out = symgrad("prove", chain, "--engine", "structural", "--json")
    assert out.returncode == 0, out.stderr


def test_a_reader_that_stops_early_gets_no_traceback():
    """``symgrad derive ... | head -1``: the pipe closes while symgrad writes (far more than a pipe holds)."""
    with subprocess.Popen([sys.executable, "-m", "symgrad", "derive", "--mlp", "80,80,1"], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as run:
        run.stdout.readline()
        run.stdout.close()
        err = run.stderr.read().decode()
        run.wait(timeout=60)
    assert run.returncode == 141 and err == ""


def test_every_long_phase_announces_itself_on_a_terminal(tmp_path, capsys, monkeypatch):
    """Building, deriving, proving, typesetting, compiling and writing each
    say what they do (each can take seconds on a large network)."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli.main(["report", "--mlp", "2,2,1", "--activation", "tanh", "-o", str(tmp_path / "r.tex")]) == 0
    err = capsys.readouterr().err
    for fragment in ("building an MLP 2-2-1 (6 weights)", "deriving 6 gradients by reverse mode",
                     "proving the ties of mlp 2-2-1 (6 parameters, algebraic engine)", "typesetting the report",
                     f"writing {tmp_path / 'r.tex'}"):
        assert f"symgrad: {fragment}" in err, (fragment, err)
    assert cli.main(["prove", "--mlp", "30,30,1", "--engine", "structural"]) == 0
    err = capsys.readouterr().err
    assert "symgrad: proving the ties of mlp 30-30-1 (930 parameters, structural engine)" in err
    assert "symgrad: effective widths and the proof's text" in err


def test_compiling_announces_itself(tmp_path, monkeypatch):
    from symgrad.base.progress import listening
    from symgrad.report import compile as tex

    seen = []
    monkeypatch.setattr(tex, "tex_engine", lambda: None)
    with listening(seen.append), pytest.raises(Exception):
        tex.compile_pdf("x", tmp_path / "r.pdf")
    assert seen == ["compiling r.pdf with TeX"]
