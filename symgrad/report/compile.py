"""Writing reports: atomic files and PDF compilation without shell escape.

``write_atomic`` never leaves a half-written file: it writes a temporary file
beside the target and renames it.  ``compile_pdf`` runs latexmk (or pdflatex
twice) in a private temporary directory with shell escape disabled and TeX
forbidden to open files outside it; on failure it raises ``TeXError`` quoting
the relevant lines of the log, and nothing is written at the destination.
"""
from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..base.errors import NoTeX, TeXError
from ..base.progress import phase

TIMEOUT = 300
# The same source gives the same PDF, byte for byte (pdfTeX's dates and /ID
# come from this fixed time, unless the caller sets SOURCE_DATE_EPOCH itself):
# rebuilding the reports of a clean clone changes no file.
REPRODUCIBLE = {"SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1767225600"), "FORCE_SOURCE_DATE": "1"}


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` all at once (via a temporary file and rename);
    an OSError names ``path`` itself, never the temporary file."""
    path = Path(path)
    phase("writing", f"writing {path}")
    try:
        _replace(path, data)
    except OSError as error:
        raise OSError(error.errno, _reason(error, path), str(path)) from None


def check_target(path: Path) -> None:
    """Raise the OSError that writing ``path`` would meet, before any work is done:
    the target is a folder, a folder on its path is a file, or its name is too long.

    >>> check_target(Path("/"))
    Traceback (most recent call last):
    ...
    IsADirectoryError: [Errno 21] it is a folder: '/'
    """
    path = Path(path)
    problem = None
    if path.is_dir():
        problem = (errno.EISDIR, "it is a folder")
    elif any(parent.exists() and not parent.is_dir() for parent in path.parents):
        problem = (errno.ENOTDIR, "a folder on its path is a file")
    elif len(path.name.encode()) > 255:                       # NAME_MAX of every common file system
        problem = (errno.ENAMETOOLONG, "the file name is too long")
    if problem:
        raise OSError(problem[0], problem[1], str(path))


def _reason(error: OSError, path: Path) -> str:
    if path.is_dir():
        return "it is a folder"
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        return "a folder on its path is a file"
    return error.strerror or str(error)


def _replace(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as handle:
            handle.write(data)
        os.chmod(tmp, _mode(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode(path: Path) -> int:
    """The permissions the file gets: the replaced file's, or the usual ones for a new file."""
    if path.exists():
        return path.stat().st_mode & 0o7777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def tex_engine() -> list[str] | None:
    """The command that compiles a .tex file here, or None if TeX is missing."""
    if shutil.which("latexmk") and shutil.which("pdflatex"):
        return ["latexmk", "-pdf", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                "-pdflatex=pdflatex -no-shell-escape -interaction=nonstopmode -halt-on-error %O %S"]
    if shutil.which("pdflatex"):
        return ["pdflatex", "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error"]
    return None


def compile_pdf(source: str, target: Path, assets: dict | None = None) -> str:
    """Compile LaTeX ``source`` (with ``assets``: file name -> bytes, such as
    figures) into the PDF ``target``; returns LaTeX's log."""
    engine = tex_engine()
    phase("compiling", f"compiling {Path(target).name} with {engine[0] if engine else 'TeX'}")
    if engine is None:
        raise NoTeX("no TeX engine (latexmk or pdflatex) on PATH")
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix="symgrad-tex-") as work:
        tex = Path(work) / "report.tex"
        tex.write_text(source, encoding="utf-8")
        for name, data in (assets or {}).items():
            (Path(work) / name).write_bytes(data)
        env = {**os.environ, "openout_any": "p", "openin_any": "p", "shell_escape": "f", **REPRODUCIBLE}
        runs = 1 if engine[0] == "latexmk" else 2
        for _ in range(runs):
            try:
                done = subprocess.run([*engine, tex.name], cwd=work, env=env, capture_output=True,
                                      text=True, errors="replace", timeout=TIMEOUT, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise TeXError(f"LaTeX did not finish within {TIMEOUT} s") from None
            if done.returncode != 0:
                raise TeXError(log_excerpt(Path(work) / "report.log", done.stdout))
        pdf = Path(work) / "report.pdf"
        if not pdf.exists():
            raise TeXError("LaTeX ran but wrote no PDF")
        write_atomic(target, pdf.read_bytes())
        return (Path(work) / "report.log").read_text(encoding="utf-8", errors="replace")


def log_excerpt(log: Path, fallback: str = "", context: int = 3) -> str:
    """The error lines of a LaTeX log (``! ...`` and the lines after them)."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else fallback
    lines = text.splitlines()
    picked = []
    for i, line in enumerate(lines):
        if line.startswith("!"):
            picked += lines[i:i + context + 1]
    return "LaTeX failed:\n" + "\n".join(picked or lines[-12:])


def overfull_boxes(log_text: str, tolerance_pt: float = 3.0) -> list[str]:
    """The 'Overfull \\hbox' warnings wider than ``tolerance_pt``.

    >>> overfull_boxes("Overfull \\\\hbox (12.5pt too wide) in paragraph")
    ['Overfull \\\\hbox (12.5pt too wide) in paragraph']
    """
    found = []
    for line in log_text.splitlines():
        m = re.search(r"Overfull \\hbox \(([\d.]+)pt too wide\)", line)
        if m and float(m.group(1)) > tolerance_pt:
            found.append(line.strip())
    return found
