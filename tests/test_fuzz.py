"""Fuzzing: generated description files, command lines and hostile names.

Every case must end in a clean error (exit 2, one line per problem) or a
correct result; an exception escaping ``symgrad.cli.main`` is a traceback a
user would see, and fails the test.  Valid generated networks are also
checked against the independent reference (finite differences, ``reference.py``).

``test_hostile_inputs`` generates hostile values for every option and field
(byte-order marks, Unicode prose, huge counts, devices, FIFOs and folders as
files, long and path-like names, trace analyses and ``report -o``) and runs
each case in a fresh scratch folder (the output folder and TMPDIR inside it),
with a time limit: it counts tracebacks, hangs past the documented limits and
files written outside the output folder, all of which must be 0.

``SYMGRAD_FUZZ_EXAMPLES`` sets the cases per test (``make fuzz`` runs 3,400
of each generator and 10,000 hostile cases); the last test prints the counts.
"""
import json
import math
import os
import random
import shutil
import string
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import finite_difference, mp

import symgrad as sg
from symgrad import cli

EXAMPLES = int(os.environ.get("SYMGRAD_FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])
COUNTS: Counter = Counter()
CLEAN_EXITS = {0, 2, 4}   # done, bad input, out of time
ROOT = Path(__file__).parent.parent

HOSTILE = ["\\input{/etc/passwd}", "\\write18{touch /tmp/pwned}", "x&1", "w_{1}", "$x$", "100%", "#1", "~", "^",
           "a}b{", "\\\\", "\\def\\x{}", "ξ", "α1", "x\u200b1", "é", "x" * 300, "", " ", "x 1", "lambda", "E", "I",
           "pi", "oo", "None", "__import__('os')", "1x", "x__1", "x_", "\n", "\x00", "\x07", "w1", "x1", "y", "L"]
names = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12),
                  st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True))
scalars = st.one_of(st.integers(-5, 6), st.integers(-10**30, 10**30), st.booleans(), st.floats(allow_nan=False),
                    st.sampled_from(["tanh", "relu", "relu:1/2", "sigmoid", "identity", "sigma", "swish", "1/2",
                                     "a", "-a", "2*a", "a**99", "1/0", "dense", "conv1d", "softmax",
                                     "cross_entropy", "squared_error", "output", "perceptron", "constant:a",
                                     "zero", "distinct", "tied:w1=w2", "layers:a,b"]), names)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(names, inner, max_size=3)), max_leaves=8)
LAYER_KEYS = ["type", "units", "filters", "size", "activation", "bias", "names", "name", "from", "colour"]
TOP_KEYS = ["name", "description", "inputs", "layers", "objective", "parameters", "data", "init", "symbols",
            "example", "scenarios", "analyses", "layer"]


@st.composite
def clean_layer(draw):
    """A layer that is valid on its own."""
    layer = {"activation": draw(st.sampled_from(["identity", "tanh", "sigmoid", "relu", "sigma"])),
             "bias": draw(st.booleans())}
    if draw(st.integers(0, 3)) == 0:
        return layer | {"type": "conv1d", "filters": draw(st.integers(1, 2)), "size": draw(st.integers(1, 2))}
    return layer | {"units": draw(st.integers(1, 3))}


@st.composite
def layers(draw):
    layer = draw(clean_layer())
    if draw(st.booleans()):
        layer["type"] = draw(st.sampled_from(["dense", "conv1d", "softmax", "dens", 3]))
    for key in draw(st.lists(st.sampled_from(LAYER_KEYS), max_size=2)):
        layer[key] = draw(values)
    return layer


@st.composite
def documents(draw):
    """Plausible descriptions: a third without defects, the rest with a few."""
    clean = draw(st.integers(0, 2)) == 0
    doc = {"inputs": draw(st.integers(1, 4)), "layers": draw(st.lists(clean_layer(), min_size=1, max_size=3)),
           "objective": draw(st.sampled_from(["output", "squared_error", "cross_entropy"]))}
    if draw(st.booleans()):
        doc["init"] = draw(st.sampled_from(["constant:a", "zero", "distinct", "constant:1/2", "tied:w1=w2"]))
    if clean:
        return doc
    if draw(st.booleans()):
        doc["layers"] = draw(st.one_of(st.lists(layers(), min_size=1, max_size=3), values))
    if draw(st.booleans()):
        doc["inputs"] = draw(values)
    for key in draw(st.lists(st.sampled_from(TOP_KEYS), max_size=3)):
        doc[key] = draw(values)
    return doc


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(map(toml_value, value)) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml(doc: dict) -> str:
    """A document as TOML (inline tables; enough for generated documents)."""
    return "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in doc.items())


def mutate(text: str, rng: random.Random, edits: int) -> str:
    """``text`` with a few random characters deleted, inserted or replaced."""
    chars = list(text)
    for _ in range(edits):
        i = rng.randrange(len(chars) + 1)
        kind = rng.randrange(3)
        if kind == 0 and i < len(chars):
            del chars[i]
        else:
            new = rng.choice(string.printable + "ξ\\{}[]=\"'\x00")
            chars[i:i + (kind == 2)] = [new]
    return "".join(chars)


def run(argv, capsys) -> tuple[int, str, list[str]]:
    """``symgrad ARGV`` in this process; an escaping exception fails the test."""
    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as done:   # --help
        status = done.code
    out = capsys.readouterr()
    lines = out.err.splitlines()
    assert status in CLEAN_EXITS or (status == 0), (argv, status, out.err)
    if status == 2:
        assert lines and all(line.startswith("symgrad: error: ") for line in lines), lines
        assert "Traceback" not in out.err
    return status, out.out, lines


def check_against_reference(net: sg.Network, rng: random.Random) -> None:
    """The exact gradient of one parameter equals a high-precision finite difference."""
    if any(n.activation.name not in ("identity", "tanh", "sigmoid") for n in net.nodes if n.kind == "neuron"):
        return
    if net.nodes[net.objective].op is not None and net.nodes[net.objective].op.name == "perceptron":
        return
    point = {s: sp.Rational(rng.randint(-9, 9), rng.randint(1, 5)) for s in (*net.parameters, *net.inputs)}
    point |= {t: sp.Integer(k == 0) for k, t in enumerate(net.targets)}
    p = rng.randrange(net.parameter_count)
    exact = sp.N(sg.derive(net).gradient(net.parameters[p]).xreplace(point), 50)
    def as_mp(s):
        return mp.mpf(point[s].p) / point[s].q

    numeric = finite_difference(net, [as_mp(w) for w in net.parameters], {x: as_mp(x) for x in net.inputs},
                                {t: as_mp(t) for t in net.targets}, p)
    assert abs(mp.mpf(str(exact)) - numeric) <= mp.mpf(10) ** -30 * (1 + abs(numeric)), (net, p, exact, numeric)
    COUNTS["checked against the reference"] += 1


@FUZZ
@given(doc=documents(), seed=st.integers(0, 2**16))
def test_generated_description_files(doc, seed, tmp_path, capsys):
    path = tmp_path / "net.toml"
    path.write_text(toml(doc), encoding="utf-8")
    status, out, _ = run(["prove", path, "--json", "--timeout", "30"], capsys)
    COUNTS["description files"] += 1
    if status == 0:
        COUNTS["valid description files"] += 1
        proof = json.loads(out)
        net = sg.examples.load(path).build()
        assert sorted(p for c in proof["invariant"] for p in c) == sorted(map(str, net.parameters))
        check_against_reference(net, random.Random(seed))


@FUZZ
@given(name=st.sampled_from(sg.examples.names()), seed=st.integers(0, 2**32), edits=st.integers(1, 6))
def test_mutated_example_files(name, seed, edits, tmp_path, capsys):
    source = (ROOT / "examples" / f"{name}.toml").read_text(encoding="utf-8")
    path = tmp_path / f"{name}.toml"
    path.write_text(mutate(source, random.Random(seed), edits), encoding="utf-8")
    run(["derive", path, "--json", "--timeout", "30"], capsys)
    COUNTS["mutated example files"] += 1


FLAGS = ["--init", "--bias-init", "--engine", "--samples", "--classes", "--activation", "--objective", "--mlp",
         "--spec", "--json", "--bias", "--steps", "--max-size", "--timeout", "-o", "--help", "--nonsense"]
ARGS = st.one_of(st.sampled_from(["toy", "relu", "softmax_ce", "perceptron", "nosuch", "examples/toy.toml",
                                  "/etc/passwd", "/dev/null", "/", "2,2,1", "2,x", "0", "-1", "1e9", "constant:1/2",
                                  "tied:w1=w2", "tied:w1=w99", "layers:a", "structural", "algebraic", "nan"]),
                 names, st.text(max_size=8))


@FUZZ
@given(command=st.sampled_from(["examples", "derive", "prove", "report", "frobnicate", ""]),
       words=st.lists(st.one_of(st.sampled_from(FLAGS), ARGS), max_size=6))
def test_random_command_lines(command, words, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = [command, *words] if command else words
    if command == "report":   # reports go to a scratch folder, as .tex (no TeX runs: this is about input)
        argv += ["-o", tmp_path / "r.tex"]
    argv = [a if not (isinstance(a, str) and a.endswith(".pdf")) else a[:-4] + ".tex" for a in argv]
    run(argv + ["--max-size", "3000", "--timeout", "30"] if command in ("derive", "prove", "report") else argv,
        capsys)
    COUNTS["command lines"] += 1


@FUZZ
@given(where=st.sampled_from(["inputs", "units", "layer", "objective", "weights", "targets", "title", "about"]),
       hostile=names)
def test_hostile_names_are_refused_or_escaped(where, hostile, tmp_path, capsys):
    doc = {"inputs": 2, "layers": [{"units": 2}, {"units": 1}]}
    if where == "inputs":
        doc["inputs"] = [hostile, "x2"]
    elif where == "units":
        doc["layers"][0]["names"] = [hostile, "h2"]
    elif where == "layer":
        doc["layers"][0]["name"] = hostile
        doc["layers"][1]["from"] = hostile
    elif where in ("objective", "targets"):
        doc["objective"] = {"kind": "squared_error", "name" if where == "objective" else "targets": hostile}
    elif where == "weights":
        doc["parameters"] = {"weights": [hostile] + [f"v{k}" for k in range(2, 7)]}
    else:
        doc["name" if where == "title" else "description"] = hostile
    path = tmp_path / "hostile.toml"
    path.write_text(toml(doc), encoding="utf-8")
    status, _, _ = run(["report", path, "-o", tmp_path / "r.tex"], capsys)
    COUNTS["hostile names"] += 1
    if status == 0:
        tex = (tmp_path / "r.tex").read_text(encoding="utf-8")
        assert "\\input{/etc" not in tex and "\\write18" not in tex and "\\def\\x" not in tex
        if where in ("title", "about"):
            from symgrad.report.environment import escape

            assert escape(hostile.strip()) in tex or not hostile.strip()
        COUNTS["hostile names escaped"] += 1
    else:
        COUNTS["hostile names refused"] += 1


# -- hostile values for every option and field ------------------------------------------
SCRATCH_BASE = tempfile.gettempdir()
CASE_SECONDS = 30     # the --timeout given to every case
HANG_SECONDS = 40     # a case still running after this (or stopped by its --timeout) is a hang
HUGE = [10**9, 10**18, 2**63 - 1, 200_001, 10**6]
PROSE = ["snow \u2603", "cafe\u0301", "x\u0301", "\u4e2d\u6587", "\U0001F600", "line\nbreak", "two\n\nparagraphs",
         "a\u00a0b", "bell\u0007", "\u200b", "\ufeff", "x" * 3000, "\\input{/etc/passwd}", "%", "plain"]
PATHLIKE = ["../escape", "/tmp/evil", "..", "a/b", "out/../../x", "~", "\\..\\x", "con", "nul.tex", "x" * 255,
            "-o", "--help", ".hidden", "r.pdf", "figure-trace"]
LONG = ["x" * 101, "x" * 10_000, "w" + "1" * 500, "a" * 100_000]
NAMEISH = st.one_of(names, st.sampled_from(PATHLIKE + LONG))
ANY = st.one_of(values, st.sampled_from(PROSE + PATHLIKE + LONG + HUGE), st.integers(-2**70, 2**70))
DEVICES = ["/dev/zero", "/dev/urandom", "/dev/null", "/dev/stdin", "/proc/self/status", "/", "/etc/passwd",
           "link-zero.toml", "fifo.toml", "folder.toml", "missing.toml", "bom.toml", "bom.json", "net.toml"]
OPTIONS = {"--init": st.one_of(st.sampled_from(["constant:a", "zero", "distinct", "tied:w1=w2", "layers:a,b",
                                                "constant:1/0", "constant:" + "x" * 100_000, "tied:" + "w1=" * 5000]),
                               st.text(max_size=20)),
           "--bias-init": st.sampled_from(["zero", "distinct", "constant:b", "relu", ""]),
           "--engine": st.sampled_from(["algebraic", "structural", "quantum", ""]),
           "--samples": st.sampled_from(["1", "3", "1000", "1001", "0", "-1", str(10**18), "x"]),
           "--classes": st.sampled_from(["1,2", "1", "0", "1," * 2000 + "1", "x", ""]),
           "--activation": st.sampled_from(["tanh", "relu:1/0", "relu:" + "1" * 5000, "\u2603", ""]),
           "--objective": st.sampled_from(["cross_entropy", "perceptron", "nosuch", ""]),
           "--mlp": st.sampled_from(["2,2,1", "1000000000,1", "1," * 20_000 + "1", "220,220,1", "0,1", "x" * 10_000,
                                     "3," * 10 + "1"]),
           "--max-size": st.sampled_from(["10", "0", "-5", str(10**18), "x"]),
           "--timeout": st.sampled_from(["inf", "nan", "-1", "0", "1e300", "x"]),
           "--steps": st.sampled_from(["0", "1", "2", "10", "11", "-1", str(10**9)]),
           "--spec": st.sampled_from(DEVICES + PATHLIKE)}


@st.composite
def hostile_documents(draw):
    """A small valid network with hostile values in a few fields."""
    doc = {"name": "n", "inputs": 2, "layers": [{"units": 2, "activation": "tanh"}, {"units": 1}]}
    fields = ["name", "description", "inputs", "inputs.count", "layers[0].units", "layers[0].name",
              "layers[0].names", "layers[1].from", "conv.filters", "conv.size", "data.generic", "data.one_hot",
              "init", "symbols", "example.summary", "example.question", "scenarios.title", "scenarios.remark",
              "scenarios.unroll", "scenarios.network", "analyses.trace", "analyses.learning_rate", "objective"]
    for field in draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3)):
        value = draw(st.one_of(st.sampled_from(PROSE if field.split(".")[-1] in ("name", "description", "summary",
                                                                                  "question", "title", "remark")
                                               else HUGE), NAMEISH, ANY))
        if field in ("name", "description", "inputs", "init", "objective"):
            doc[field] = value
        elif field == "inputs.count":
            doc["inputs"] = {"count": value}
        elif field.startswith("layers["):
            index, key = int(field[7]), field.split(".")[1]
            doc["layers"][index][key] = [value, "h2"] if key == "names" else value
        elif field.startswith("conv."):
            doc["layers"].insert(0, {"type": "conv1d", "filters": 1, "size": 1} | {field[5:]: value})
        elif field.startswith("data."):
            doc["data"] = {field[5:]: value if field == "data.generic" else [value]}
        elif field == "symbols":
            doc["symbols"] = {value if isinstance(value, str) and value else "a": "positive"}
        elif field.startswith("example."):
            doc.setdefault("example", {})[field[8:]] = value
        elif field.startswith("scenarios."):
            doc.setdefault("scenarios", [{"init": "constant:a"}])[0][field[10:]] = value
        else:   # analyses: a trace figure named after the output, never after the document
            kind = field.split(".")[1]
            doc.setdefault("analyses", []).append({"kind": kind, "steps": value if draw(st.booleans()) else 2})
    return doc


def tree(root: Path, skip: Path) -> set:
    """Every path under ``root`` (files with their size and modification
    time), except the folder ``skip`` and what it holds."""
    found = set()
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        if here == skip or skip in here.parents:
            continue
        for entry in dirs:
            if here / entry != skip:
                found.add((str((here / entry).relative_to(root)), "folder"))
        for entry in files:
            info = (here / entry).lstat()
            found.add((str((here / entry).relative_to(root)), info.st_size, info.st_mtime_ns))
    return found


def scratch_files(scratch: Path, doc: dict, bom: bool) -> None:
    text = toml(doc)
    (scratch / "net.toml").write_text(text, encoding="utf-8")
    (scratch / "bom.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())
    (scratch / "bom.json").write_bytes(b"\xef\xbb\xbf" + json.dumps(doc).encode())
    (scratch / "link-zero.toml").symlink_to("/dev/zero")
    os.mkfifo(scratch / "fifo.toml")
    (scratch / "folder.toml").mkdir()
    if bom:
        (scratch / "net.toml").write_bytes(b"\xef\xbb\xbf" + text.encode())


@FUZZ
@given(command=st.sampled_from(["derive", "prove", "report", "report", "examples"]),
       doc=hostile_documents(), net=st.one_of(st.sampled_from(DEVICES), st.sampled_from(["toy", "relu", "nosuch"]),
                                             NAMEISH, st.none()),
       options=st.dictionaries(st.sampled_from(sorted(OPTIONS)), st.none(), max_size=3),
       output=st.one_of(st.sampled_from(["r.tex", "r.tex", "r.tex", "r.pdf", "sub/r.tex", "r.txt", ".tex", "r"]),
                        st.sampled_from(PATHLIKE)),
       bom=st.booleans(), data=st.data())
def test_hostile_inputs(command, doc, net, options, output, bom, data, capsys, monkeypatch):
    scratch = Path(tempfile.mkdtemp(prefix="symgrad-fuzz-", dir=SCRATCH_BASE))
    saved = os.environ.get("TMPDIR")
    try:
        out_dir, tmp = scratch / "out", scratch / "tmp"
        out_dir.mkdir()
        tmp.mkdir()
        scratch_files(scratch, doc, bom)
        os.chdir(scratch)
        os.environ["TMPDIR"] = str(tmp)
        tempfile.tempdir = None   # read TMPDIR again
        argv = [command] + ([net] if net is not None and command != "examples" else [])
        for option in options:
            if command != "examples" and not (option == "--steps" and command != "report"):
                argv += [option, data.draw(OPTIONS[option])]
        if command == "report":
            pdf = output.endswith(".pdf") and all(c.isascii() for c in toml(doc))   # see test_hostile.py
            argv += ["-o", str(out_dir / (output if pdf or not output.endswith(".pdf") else output[:-4] + ".tex"))]
        if command != "examples" and "--timeout" not in options:
            argv += ["--timeout", str(CASE_SECONDS)]
        before = tree(scratch, out_dir)
        started = time.monotonic()
        status, lines, traceback = run_counted(argv, capsys)
        elapsed = time.monotonic() - started
        written = tree(scratch, out_dir) ^ before   # TMPDIR is inside: a temporary file left behind counts
        COUNTS["files written outside the output folder"] += len(written)
        hang = elapsed > HANG_SECONDS or (status == 4 and "--timeout" not in options)
        COUNTS["hangs"] += hang
        COUNTS["tracebacks"] += traceback
        COUNTS["hostile cases"] += 1
        COUNTS[f"hostile cases with exit {status}"] += 1
        assert not traceback, (argv, lines)
        assert not hang, (argv, elapsed, status)
        assert not written, (argv, written)
    finally:
        if saved is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved
        tempfile.tempdir = None
        os.chdir(ROOT)
        shutil.rmtree(scratch, ignore_errors=True)


def run_counted(argv, capsys) -> tuple[int, list[str], bool]:
    """``symgrad ARGV`` in this process: its status, its error lines, and
    whether it ended in a traceback (an escaping exception, or not one clean line per problem)."""
    try:
        status = cli.main([str(a) for a in argv])
    except SystemExit as done:   # --help
        status = done.code
    except Exception as error:   # noqa: BLE001 (counted: this is what the test looks for)
        capsys.readouterr()
        return -1, [repr(error)[:300]], True
    lines = capsys.readouterr().err.splitlines()
    clean = status in (0, 1, 2, 3, 4, 5) and "Traceback" not in "\n".join(lines)
    if status == 2:
        clean = clean and bool(lines) and all(line.startswith("symgrad: error: ") for line in lines)
    # A value echoed in full (argparse's messages included) is elided: a longer line is a defect too.
    clean = clean and all(len(line) < 1000 for line in lines)
    return status, lines, not clean


def test_fuzzing_counts(capsys):
    """Runs after the fuzz tests: prints how many cases ran (none escaped)."""
    if not COUNTS:
        pytest.skip("the fuzz tests did not run")
    total = sum(v for k, v in COUNTS.items() if k in ("description files", "mutated example files", "command lines",
                                                      "hostile names", "hostile cases"))
    bad = {k: COUNTS[k] for k in ("tracebacks", "hangs", "files written outside the output folder")}
    with capsys.disabled():
        print(f"\n  fuzzing: {total} cases: {bad['tracebacks']} tracebacks, {bad['hangs']} hangs past the documented "
              f"limits, {bad['files written outside the output folder']} files written outside the output folder; "
              + ", ".join(f"{k} {v}" for k, v in COUNTS.items() if k not in bad))
    assert total >= 4 * min(EXAMPLES, 50)
    assert not any(bad.values()), bad
