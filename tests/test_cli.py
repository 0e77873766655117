"""The command line: output, JSON, and one-line errors with exit status 2."""
import json
import subprocess
import sys

import pytest


def symgrad(*args):
    return subprocess.run([sys.executable, "-m", "symgrad", *args], capture_output=True, text=True)


@pytest.mark.parametrize("args", [
    ["derive", "nosuch"],
    ["derive", "--mlp", "2,x"],
    ["derive", "--mlp", "2,0,1"],
    ["derive", "--mlp", "2,1", "--activation", "cosh"],
    ["derive", "--mlp", "2,1", "--objective", "hinge"],
    ["derive"],
    ["derive", "toy", "--mlp", "2,1"],
    ["derive", "--spec", "/nonexistent.json"],
    ["frobnicate"],
])
def test_bad_input_is_one_error_line_and_exit_2(args):
    out = symgrad(*args)
    assert out.returncode == 2
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("symgrad: error: "), out.stderr
    assert "Traceback" not in out.stderr


def test_malformed_spec(tmp_path):
    bad = tmp_path / "net.json"
    bad.write_text('{"inputs": 2, "layers": [{"units": 2, "activation": "nope"}]}')
    out = symgrad("derive", "--spec", str(bad))
    assert out.returncode == 2 and "layers[0].activation: unknown activation 'nope'" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    bad.write_text("{not json")
    out = symgrad("derive", str(bad))
    assert out.returncode == 2 and "invalid JSON" in out.stderr


def test_examples_lists_toy():
    out = symgrad("examples")
    assert out.returncode == 0 and out.stdout.startswith("toy")


def test_derive_an_mlp_from_the_command_line():
    out = symgrad("derive", "--mlp", "3,4,1", "--activation", "tanh", "--bias", "--json")
    data = json.loads(out.stdout)
    assert len(data["weights"]) == 16 and len(data["biases"]) == 5
    assert "tanh" in data["forward"]["y1"]


def test_spec_file(tmp_path):
    spec = tmp_path / "net.json"
    spec.write_text(json.dumps({"name": "conv", "inputs": 4,
                                "layers": [{"type": "conv1d", "filters": 2, "size": 2}, {"units": 1}]}))
    data = json.loads(symgrad("derive", "--spec", str(spec), "--json").stdout)
    assert data["network"] == "conv" and len(data["weights"]) == 4 + 6


def test_help_has_examples():
    out = symgrad("derive", "--help")
    assert out.returncode == 0 and "symgrad derive toy --json" in out.stdout


def test_version_suggestions_and_report_json(tmp_path, capsys):
    """``--version`` prints the package's version, a mistyped command gets a
    suggestion, and ``report --json`` prints what was written (not ignored)."""
    from importlib.metadata import version

    from symgrad import cli

    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"symgrad {version('symgrad')}"
    assert cli.main(["porve", "toy"]) == 2
    assert capsys.readouterr().err.rstrip().endswith("did you mean prove?")
    assert cli.main(["report", "toy", "-o", str(tmp_path / "r.tex"), "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written == {"report": str(tmp_path / "r.tex"), "network": "toy", "engine": "algebraic"}
    assert (tmp_path / "r.tex").read_text().startswith("\\documentclass")
