"""The lint result: classes and frozen masks per parameter, findings, and its printing."""

from dataclasses import dataclass, field

import numpy as np

PROBLEMS = ("tied", "frozen")


@dataclass(frozen=True)
class LintResult:
    """What ``lint`` proved about a model.

    ``classes[name]``: int array shaped like the parameter; equal ids (across
    parameters too) mean proven tied forever.  ``frozen[name]``: bool array,
    proven never to move.  ``findings``: the verdicts with their evidence.
    """
    model: str
    objective: str
    classes: dict
    frozen: dict
    trainable: dict
    findings: list
    rounds: int
    method: str
    notes: list = field(default_factory=list)

    @property
    def ok(self):
        """Nothing tied forever among trainable parameters, nothing frozen."""
        return not any(f.kind in PROBLEMS for f in self.findings)

    @property
    def problems(self):
        return [f for f in self.findings if f.kind in PROBLEMS]

    def __repr__(self):
        kinds = {}
        for f in self.findings:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
        return (f"LintResult(model={self.model!r}, ok={self.ok}, parameters={len(self.classes)}, "
                f"findings={kinds})")

    def __str__(self):
        n = sum(c.size for c in self.classes.values())
        head = (f"lint {self.model}: {len(self.classes)} parameters ({n} entries), objective "
                f"{self.objective}; {self.rounds} refinement rounds ({self.method})")
        lines = [head, "ok: nothing tied forever, nothing frozen" if self.ok else
                 f"{len(self.problems)} problem{'s' * (len(self.problems) != 1)} found"]
        for f in self.findings:
            lines.append(f"[{f.kind}] {f.message}")
            lines.append(f"    evidence: {f.evidence}")
        for note in self.notes:
            lines.append(f"note: {note}")
        return "\n".join(lines)

    def _repr_latex_(self):
        esc = lambda s: (s.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("&", r"\&")
                         .replace("%", r"\%").replace("#", r"\#").replace("{", r"\{").replace("}", r"\}")
                         .replace("|", r"$|$").replace("^", r"\^{}").replace("~", r"\~{}"))
        items = "".join(rf"\item \textbf{{{esc(f.kind)}}}: {esc(f.message)} \emph{{({esc(f.evidence)})}}"
                        for f in self.findings) or r"\item nothing tied forever, nothing frozen"
        return rf"\textbf{{lint {esc(self.model)}}} (objective: {esc(self.objective)})\begin{{itemize}}{items}\end{{itemize}}"

    def to_json(self):
        """A JSON-ready dict with the keys model, parameters, findings, tied, frozen."""
        params = {}
        for name, c in self.classes.items():
            params[name] = {"shape": list(c.shape), "trainable": bool(self.trainable[name]),
                            "classes": int(np.unique(c).size), "frozen": int(self.frozen[name].sum())}
        return {
            "model": self.model,
            "objective": self.objective,
            "ok": self.ok,
            "parameters": params,
            "findings": [{"kind": f.kind, "module": f.module_path, "message": f.message,
                          "evidence": f.evidence, "parameters": list(f.parameters)} for f in self.findings],
            "tied": self._tied_groups(),
            "frozen": {n: [list(map(int, i)) for i in np.argwhere(m)] for n, m in self.frozen.items()
                       if self.trainable[n] and m.any()},
            "notes": list(self.notes),
        }

    def _tied_groups(self):
        """Every class with more than one live trainable entry, as "name[i, j]" strings."""
        names = [n for n in self.classes if self.trainable[n]]
        if not names:
            return []
        cls = np.concatenate([self.classes[n].ravel() for n in names])
        live = np.concatenate([~self.frozen[n].ravel() for n in names])
        offs = np.cumsum([0] + [self.classes[n].size for n in names])
        cnt = np.bincount(cls[live], minlength=int(cls.max()) + 1)
        hits = np.flatnonzero(live & (cnt[cls] > 1))
        which = np.searchsorted(offs, hits, side="right") - 1
        out = {}
        for k, w in zip(hits, which):                     # the tied entries only
            shape = self.classes[names[w]].shape
            i = np.unravel_index(int(k - offs[w]), shape) if shape else ()
            out.setdefault(int(cls[k]), []).append(f"{names[w]}[{', '.join(map(str, i))}]")
        return list(out.values())
