"""Ctrl-C and SIGTERM in every phase: exit 130 / 143, the earlier output intact, no temporary file left.

No test here depends on timing: ``SYMGRAD_SIGNAL_AT=PHASE:SIGNAL`` makes symgrad
signal itself as it enters a phase, and a stand-in TeX signals symgrad while
"compiling".  (The timed repetition under load is in ``make fuzz``.)"""
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from symgrad import cli
from symgrad.base import interrupts
from symgrad.base.interrupts import PHASES

ROOT = Path(__file__).parent.parent
EARLIER = b"%PDF-1.5 the earlier report\n"


def report(tmp_path, *args, env=None, output="r.pdf"):
    """``symgrad report ARGS -o tmp_path/output`` in a session of its own (as a terminal's foreground job)."""
    target = tmp_path / output
    target.write_bytes(EARLIER)
    done = subprocess.run([sys.executable, "-m", "symgrad", "report", *args, "-o", target], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600,
                          start_new_session=True)
    return done, target


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("phase, output", [(phase, output) for phase in PHASES for output in ("r.pdf", "r.tex")
                                           if not (phase == "compiling" and output == "r.tex")])  # .tex: no TeX run
def test_a_signal_in_any_phase_stops_the_report_and_keeps_the_earlier_one(tmp_path, phase, how, output):
    done, target = report(tmp_path, "toy", env={interrupts.HOOK: f"{phase}:{how}"}, output=output)
    assert done.returncode == 128 + getattr(signal, how), done.stderr
    assert done.stderr.splitlines() == ["symgrad: interrupted"] and done.stdout == ""
    assert target.read_bytes() == EARLIER
    assert sorted(p.name for p in tmp_path.iterdir()) == [output]    # no temporary file, no figure


def test_sigkill_while_writing_leaves_the_earlier_report(tmp_path):
    done, target = report(tmp_path, "toy", env={interrupts.HOOK: "writing:SIGKILL"})
    assert done.returncode == -signal.SIGKILL
    assert target.read_bytes() == EARLIER and sorted(p.name for p in tmp_path.iterdir()) == ["r.pdf"]


def test_ctrl_c_while_tex_runs_stops_tex_and_the_report(tmp_path):
    """A stand-in ``pdflatex`` presses Ctrl-C as a terminal does (SIGINT to the whole
    foreground job: symgrad, latexmk and itself), then would run for a minute."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("pdflatex", "latexmk"):     # the stand-in is found first, whichever symgrad runs
        fake = bin_dir / tool
        fake.write_text("#!/bin/sh\nkill -INT 0\nexec sleep 60\n")
        fake.chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    done, target = report(out, "toy", env={"PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert done.returncode == 130, done.stderr
    assert target.read_bytes() == EARLIER and sorted(p.name for p in out.iterdir()) == ["r.pdf"]


def test_a_swallowed_interrupt_is_still_honoured(monkeypatch, capsys):
    """A library's bare ``except:`` can eat the KeyboardInterrupt; the exit status still says interrupted."""
    def swallowing(args):
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(10**6):      # the handler runs between bytecodes, inside this try
                pass
        except BaseException:  # noqa: BLE001 - the point of the test
            pass
        return "finished anyway"

    monkeypatch.setitem(cli.COMMANDS, "examples", swallowing)
    assert cli.main(["examples"]) == 130
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == "symgrad: interrupted\n"


def test_the_command_line_restores_the_callers_signal_handlers():
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    assert cli.main(["examples", "--json"]) == 0
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before
