"""Every file symgrad writes lies in the output folder and is named after the output.

A description file's free-text name once became the figure's path:
``name = "../../elsewhere/x"`` wrote ``../../elsewhere/x-trace.pdf``."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
TRACED = 'inputs = 2\n[[layers]]\nunits = 2\n[[layers]]\nunits = 1\n[[analyses]]\nkind = "trace"\nsteps = 3\n'


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("name", ["../../elsewhere/x", "/ABSOLUTE/keep", "sub/dir/name", "..", "a b%c"])
@pytest.mark.parametrize("suffix", [".tex", ".pdf"])
def test_a_name_from_the_input_never_becomes_a_path(tmp_path, name, suffix):
    absolute = tmp_path / "ABSOLUTE"
    work = tmp_path / "work" / "deep"
    out = work / "out"
    work.mkdir(parents=True)
    spec = work / "net.toml"
    spec.write_text(f"name = {name.replace('/ABSOLUTE', str(absolute))!r}\n".replace("'", '"') + TRACED)
    scratch = tmp_path / "scratch" / "deep"        # TeX's temporary build folder goes here
    scratch.mkdir(parents=True)
    before = files_under(tmp_path)
    done = subprocess.run([sys.executable, "-m", "symgrad", "report", spec, "-o", out / f"a{suffix}"], cwd=work,
                          capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(ROOT)})
    assert done.returncode in (0, 3), done.stderr     # 3: no TeX here (then the .tex was written)
    created = files_under(tmp_path) - before
    assert created and all(path.startswith("work/deep/out") for path in created), created
    written = {Path(p).name for p in created if (tmp_path / p).is_file()}
    assert written <= {"a.tex", "a.pdf", "a-trace.pdf"}, written
    if suffix == ".tex" and "a-trace.pdf" in written:    # the figure is named after the output, and included so
        assert "{a-trace.pdf}" in (out / "a.tex").read_text()


def test_figure_names_are_plain_file_names():
    from symgrad.report import figure_files

    context = {"analyses": [{"figure": "trace"}, {"title": "no figure"}]}
    assert figure_files(context, "toy") == {"trace": "toy-trace.pdf"}
    for stem in ["../x", "a/b", "..", "-rf", "a b", "$x%"]:
        name = figure_files(context, stem)["trace"]
        assert os.sep not in name and not name.startswith((".", "-")) and name.endswith("-trace.pdf")


def symgrad_cli(*args, **options):
    return subprocess.run([sys.executable, "-m", "symgrad", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, **options)


@pytest.mark.parametrize("target", ["/etc/passwd/x.pdf", "FOLDER.pdf", "a" * 300 + ".tex"])
def test_an_output_that_cannot_be_written_is_one_line_and_exit_5(tmp_path, target):
    (tmp_path / "FOLDER.pdf").mkdir()
    before = files_under(tmp_path)
    done = symgrad_cli("report", "toy", "-o", target if target.startswith("/") else tmp_path / target)
    assert done.returncode == 5, done.stderr
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("symgrad: error: could not write the output")
    assert ".tmp" not in done.stderr and files_under(tmp_path) == before


@pytest.mark.parametrize("args", [["prove", "toy", "--json"], ["derive", "toy"], ["examples"]])
def test_a_full_or_closed_standard_output_is_exit_5(args):
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "symgrad", *args], stdout=full, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT)
    assert done.returncode == 5 and done.stderr.splitlines() == [
        "symgrad: error: could not write the output: No space left on device"]
    closed = subprocess.run(f"{sys.executable} -m symgrad {' '.join(args)} >&-", shell=True, cwd=ROOT,
                            capture_output=False, stderr=subprocess.PIPE, text=True)
    assert closed.returncode == 5 and "standard output is closed" in closed.stderr
