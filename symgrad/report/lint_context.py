"""The context of a lint report: what ``symgrad.lint`` proved about a PyTorch
model, laid out for the ``lint.tex.jinja`` template (the module tree, the
findings with their evidence, and what the verdicts assume).  Plain data
only: the template computes nothing.

>>> from types import SimpleNamespace as NS
>>> import numpy as np
>>> result = NS(model="m", objective="sum of the outputs", method="torch.export", rounds=2, ok=True, findings=[],
...             problems=[],
...             notes=[], classes={"0.weight": np.zeros((2, 3), int)}, frozen={"0.weight": np.zeros((2, 3), bool)},
...             trainable={"0.weight": True})
>>> [(row["name"], row["shape"], row["classes"]) for row in lint_context(result)["modules"]]
[('0', '', ''), ('weight', '2 x 3', 1)]
"""
from __future__ import annotations

from ..tensor.result import count_classes

KINDS = {"tied": "tied forever", "frozen": "never moves", "learns": "starts at zero and learns",
         "separates": "starts as a copy and separates", "note": "note"}


def lint_context(result) -> dict:
    """The report's data for a ``LintResult``."""
    entries = sum(c.size for c in result.classes.values())
    return {
        "template": "lint.tex.jinja", "analyses": [], "assets": {},
        "title": f"What training does to {result.model}",
        "model": result.model, "method": result.method, "rounds": result.rounds,
        "objective": "the " + result.objective if result.objective.startswith("sum of") else result.objective,
        "ok": result.ok, "parameters": len(result.classes), "entries": f"{entries:,}",
        "modules": _module_rows(result),
        "findings": [{"kind": KINDS.get(f.kind, f.kind), "message": f.message, "evidence": f.evidence}
                     for f in result.findings],
        "problems": len(result.problems),
        "notes": list(result.notes),
    }


def _module_rows(result) -> list[dict]:
    """The module tree: a row per module (its last name, indented by depth)
    the first time a parameter under it appears, and a row per parameter with
    its shape, whether it trains, its classes and frozen entries."""
    rows, seen = [], set()
    for name, classes in result.classes.items():
        parts = name.split(".")
        for depth in range(len(parts) - 1):
            path = ".".join(parts[:depth + 1])
            if path not in seen:
                seen.add(path)
                rows.append({"name": parts[depth], "depth": depth, "shape": "", "classes": "", "frozen": "",
                             "trains": ""})
        frozen = int(result.frozen[name].sum())
        rows.append({"name": parts[-1], "depth": len(parts) - 1, "shape": " x ".join(map(str, classes.shape)),
                     "classes": count_classes(classes), "trains": "yes" if result.trainable[name] else "no",
                     "frozen": f"{frozen:,} of {classes.size:,}" if frozen else "none"})
    return rows
