"""The README's snippets run as written, and its example output is what the code prints."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_python_snippets_run():
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    snippets = [b for b in blocks("python") if "def test_" not in b and "class " not in b]
    assert len(snippets) >= 2
    for snippet in snippets:
        code = "import symgrad as sg\n" + snippet
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (snippet, done.stderr)
    (ROOT / "toy-trace.png").unlink(missing_ok=True)


def test_the_commented_results_of_the_first_snippet_hold():
    import symgrad as sg

    net = sg.examples.toy()
    assert str(sg.derive(net).gradient("w9")) == "w5*(w1*x1 + w3*x2) + w7*(w2*x1 + w4*x2)"
    assert str(sg.prove(net, sg.Constant("a")).invariant) == "[(w1, w2), (w3, w4), (w5, w6, w7, w8), (w9, w10)]"
    assert str(sg.unroll(net, sg.Constant("a"), steps=1).value(1, "w9")) == "-2*a**2*eta*x1 - 2*a**2*eta*x2 + a"
    for line in blocks("python")[0].splitlines():
        if line.startswith(('d.gradient("w9")', "proof.invariant")):
            assert line.split("# ")[1] in {"w5*(w1*x1 + w3*x2) + w7*(w2*x1 + w4*x2)",
                                           "[(w1, w2), (w3, w4), (w5, w6, w7, w8), (w9, w10)]"}


@pytest.mark.parametrize("command", ["symgrad prove toy", "symgrad lint examples/models/zero_gated_mlp.py:factory"])
def test_the_console_examples_are_what_the_commands_print(command):
    if "lint" in command:
        pytest.importorskip("torch")
    shown = next(b for b in blocks("console") if b.startswith(f"$ {command}\n"))
    expected = shown.split("\n", 1)[1]
    done = subprocess.run([sys.executable, "-m", "symgrad", *command.split()[1:]], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert done.stdout == expected
