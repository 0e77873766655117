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
