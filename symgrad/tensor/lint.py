"""``lint``: the tensor-level proof of ties and frozen parameters for a torch model."""

from ..base.memory import retained
from ..base.progress import phase
from .capture import capture
from .evidence import probe
from .findings import Report
from .interpret import RULES, where
from .refine import fixpoint
from .result import LintResult, structured_arrays
from .starts import resolve


def supported_ops():
    """The aten ops with a rule (the coverage of ``lint``).

    >>> "aten.linear.default" in supported_ops()
    True
    """
    return sorted(RULES)


def _dropout_paths(cap):
    out = []
    for n in cap.graph.nodes:
        if n.op == "call_function" and "dropout" in str(n.target):
            p = n.args[1] if len(n.args) > 1 else n.kwargs.get("p", 0.0)
            train = n.args[2] if len(n.args) > 2 else n.kwargs.get("train", True)
            if float(p) > 0 and train:
                out.append(where(n).split(",")[0])
    return sorted(set(out))


KINKS = {"relu": "relu'(0) = 0", "abs": "abs'(0) = 0", "sign": "sign'(x) = 0"}   # PyTorch autograd's values


def _kink_conventions(cap):
    """The slopes at a kink the verdicts rely on, as PyTorch's autograd defines
    them, each with the modules that use it (``relu'(0) = 0`` at ``mlp.1``)."""
    found: dict = {}
    for n in cap.graph.nodes:
        op = str(n.target).split(".")[1] if n.op == "call_function" and str(n.target).startswith("aten.") else ""
        if op.rstrip("_") in KINKS:
            found.setdefault(KINKS[op.rstrip("_")], set()).add(where(n).split(",")[0])
    return {rule: sorted(paths) for rule, paths in found.items()}


def _starts(cap, init):
    """Each parameter's start, when stated or when the model has no values; else None."""
    meta = any(p.is_meta for p in cap.params.values())
    if init is None and not meta:
        return None
    return resolve({n: tuple(p.shape) for n, p in cap.params.items()}, init, lambda n: not cap.params[n].is_meta)


def _starts_note(starts, fp) -> str:
    """What the verdicts assume of the starts, and which parameters lint kept by rows and columns."""
    kinds = {}
    for n, s in starts.items():
        kinds.setdefault(s.describe() if s.kind != "copy" else "copies", []).append(n)
    said = "; ".join(f"{k}: {len(v)} parameter{'s' * (len(v) != 1)}" for k, v in sorted(kinds.items()))
    text = (f"starts as stated, not read ({said}); a random start is generic: every entry different from "
            f"every other entry and every constant, as a continuous random init is with probability 1")
    if fp.structured is not None:
        text += (f"; {len(fp.structured.members)} large parameter{'s' * (len(fp.structured.members) != 1)} "
                 f"analysed by rows and columns (no colour per entry)")
    return text


def _in_order(cap, flat, big):
    return {n: flat[n] if n in flat else big[n] for n in cap.params}


def lint(model, example_inputs, loss=None, targets=None, *, name=None, init=None):
    """Prove which parameters of ``model`` stay tied forever and which never move.

    The model is captured with ``torch.export`` in train mode; colours are
    refined op by op (values, deltas, parameter gradients) to the greatest
    fixpoint of the tie and zero hypotheses, so every claim holds for every
    input and every step of an elementwise optimiser.  The objective is
    ``loss(model(*example_inputs), targets)``, or the sum of the outputs.

    ``init`` states how parameters start instead of reading their values
    (rules ``PATTERN=SPEC``: ``"*.lora_B.weight=0"``, ``"blocks.1-11=copy of
    blocks.0"``, ``"*=random"``; see ``symgrad.tensor.starts``); a model on the
    meta device (no values) starts random unless told otherwise, and its large
    parameters are analysed by rows and columns, never entry by entry.

    >>> import torch
    >>> m = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
    >>> _ = torch.nn.init.zeros_(m[0].weight), torch.nn.init.zeros_(m[0].bias)
    >>> r = lint(m, torch.randn(4, 3))
    >>> r.ok, bool(r.frozen["0.weight"].all()), bool(r.frozen["2.weight"].all())
    (False, True, True)
    """
    import torch
    inputs = (example_inputs,) if isinstance(example_inputs, torch.Tensor) else tuple(example_inputs)
    phase("reading", f"lint: capturing {type(model).__name__} with torch.export "
                     f"({sum(p.numel() for p in model.parameters()):,} parameters)")
    cap = capture(model, inputs, loss, targets)
    starts = _starts(cap, init)
    all_inputs = inputs + ((targets,) if loss is not None else ())
    with retained():                                   # gigabyte arrays, freed and made again
        fp = fixpoint(cap, all_inputs, starts=starts)
    kinks = _kink_conventions(cap)
    evidence = probe(model, inputs, loss, targets, starts)
    report = Report(fp, fp.values, evidence, cap.objective, tuple(kinks), starts)
    report.frozen_findings()
    report.tie_findings()
    report.learns_findings()
    report.separation_findings()
    report.structured_findings()
    notes = []
    if starts and any(s.kind != "values" for s in starts.values()):
        notes.append(_starts_note(starts, fp))
    if kinks:
        notes.append("slopes at a kink as PyTorch's autograd takes them: " + "; ".join(
            f"{rule} ({', '.join(paths[:4])}{', ...' if len(paths) > 4 else ''})" for rule, paths in kinks.items())
            + ": a unit whose input is exactly 0 passes no gradient, which can freeze what follows it")
    drops = _dropout_paths(cap)
    if drops:
        notes.append("dropout (" + "; ".join(drops) + ") gives every element its own random mask at "
                     "every step: it breaks ties, so none are claimed through it")
    if fp.collisions:
        notes.append(f"{fp.collisions} hash collisions were detected and resolved exactly")
    if fp.ordered:
        notes.append(f"{fp.ordered:,} products of large matrices were named by their ordered rows rather than "
                     f"by their multisets of terms (to bound memory): finer, never coarser, so a tie that "
                     f"holds only through a permutation of equal terms is not claimed")
    classes, frozen = fp.split(fp.classes), fp.split(fp.frozen)
    if fp.structured is not None:
        big_classes, big_frozen = structured_arrays(fp.structured, int(fp.classes.max(initial=-1)) + 1)
        classes, frozen = _in_order(cap, classes, big_classes), _in_order(cap, frozen, big_frozen)
    return LintResult(name or type(model).__name__, cap.objective, classes, frozen,
                      dict(cap.trainable), report.findings, fp.rounds, cap.method, notes)
