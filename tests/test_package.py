"""The package at its boundary: importing it is cheap and changes nothing around it."""
import importlib.metadata
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).parent.parent


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_plugin_and_the_command_line_load_no_sympy():
    assert run_python("import sys, symgrad, symgrad.pytest_plugin, symgrad.cli; print('sympy' in sys.modules)") == "False"


def test_importing_and_using_symgrad_changes_no_environment_and_no_global_setting():
    code = ("import os, mpmath; env = dict(os.environ); dps = (mpmath.mp.dps, mpmath.iv.dps)\n"
            "import symgrad as sg\n"
            "sg.prove(sg.Network.mlp([2, 2, 1], activation='tanh'))\n"
            "print(dict(os.environ) == env, (mpmath.mp.dps, mpmath.iv.dps) == dps)")
    assert run_python(code) == "True True"


def test_public_functions_are_not_shadowed_by_modules():
    code = ("import symgrad as sg, symgrad.maths.derivation, symgrad.dynamics.unrolling, symgrad.dynamics.training, symgrad.dynamics.quotients, "
            "symgrad.dynamics.linearisation\n"
            "print(all(callable(getattr(sg, n)) for n in ('derive', 'unroll', 'train', 'quotient', 'linearise', 'prove')))")
    assert run_python(code) == "True"


def test_the_old_fixture_name_still_works_with_a_deprecation_warning(tmp_path):
    (tmp_path / "test_user.py").write_text("def test_toy(toy_net):\n    assert len(toy_net.weights) == 10\n\n"
                                           "def test_new(symgrad_toy):\n    assert len(symgrad_toy.weights) == 10\n")
    installed = any(ep.name == "symgrad" for ep in importlib.metadata.entry_points(group="pytest11"))
    plugin = [] if installed else ["-p", "symgrad.pytest_plugin"]
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugin, "-W", "default",
                           "test_user.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert "2 passed" in done.stdout and "toy_net is deprecated: use symgrad_toy" in done.stdout, done.stdout


def test_a_wheel_installed_in_a_fresh_venv_works_from_another_folder(tmp_path):
    """Build the wheel from this checkout, install it into a new virtual environment (its dependencies
    read from this interpreter's site-packages, so nothing is downloaded), and use it from another folder."""
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", wheels, ROOT], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0 and "warning" not in (build.stdout + build.stderr).lower(), build.stderr
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True, timeout=300)
    deps = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}   # sympy, jinja2, numpy
    python = venv / "bin" / "python"
    wheel = next(wheels.glob("symgrad-*.whl"))
    subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel], check=True,
                   timeout=600, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (f"import symgrad as sg, symgrad.tensor; assert sg.__file__.startswith({str(venv)!r})\n"
            "print(sg.prove('toy').invariant, len(sg.examples.names()))")
    used = subprocess.run([python, "-c", code], cwd=elsewhere, capture_output=True, text=True, timeout=300, env=deps)
    assert used.returncode == 0 and "[(w1, w2), (w3, w4), (w5, w6, w7, w8), (w9, w10)] 7" in used.stdout, used.stderr
    cli = subprocess.run([venv / "bin" / "symgrad", "report", "toy", "-o", elsewhere / "toy.tex"], cwd=elsewhere,
                         capture_output=True, text=True, timeout=300, env=deps)
    assert cli.returncode == 0 and (elsewhere / "toy.tex").read_text().startswith("\\documentclass"), cli.stderr
