"""The lint result: classes and frozen masks per parameter, findings, and its printing."""

from dataclasses import dataclass, field

import numpy as np

from ..base.errors import SymgradError
from . import factored

PROBLEMS = ("tied", "frozen")


class ByRows:
    """A parameter-shaped array of a large parameter kept by rows and columns: its
    entries are made on request, block of rows by block of rows (``rows(i, j)``), or
    all at once by ``np.asarray`` up to ``factored.MATERIALISE_MAX`` entries."""

    def __init__(self, name, shape, dtype, block, count, row_labels=None):
        self.name, self.shape, self.dtype = name, tuple(shape), np.dtype(dtype)
        self._block, self._count = block, count
        self.row_labels = row_labels        # classes: equal labels iff equal rows

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def ndim(self):
        return len(self.shape)

    def rows(self, start, stop):
        """The entries of rows ``start`` to ``stop`` (along the first axis)."""
        return self._block(start, stop).reshape((stop - start,) + self.shape[1:])

    def __array__(self, dtype=None, copy=None):
        if self.size > factored.MATERIALISE_MAX:
            raise SymgradError(f"{self.name} has {self.size:,} entries: ask for some rows with .rows(start, stop)")
        out = self.rows(0, self.shape[0])
        return out if dtype is None else out.astype(dtype)

    def __getitem__(self, index):
        if isinstance(index, (int, np.integer)):
            return self.rows(int(index), int(index) + 1)[0]
        return np.asarray(self)[index]

    def count(self) -> int:
        """Distinct values (classes) or True entries (frozen), without making the entries."""
        return self._count()

    def sum(self):
        return self._count()

    def any(self):
        return self._count() > 0

    def all(self):
        return self._count() == self.size

    def __repr__(self):
        return f"ByRows({self.name!r}, shape={self.shape}, dtype={self.dtype})"


def count_classes(classes) -> int:
    """How many classes a parameter's entries fall in (without making a structured
    parameter's entries).

    >>> count_classes(np.array([[3, 3], [5, 3]]))
    2
    """
    return classes.count() if isinstance(classes, ByRows) else int(np.unique(classes).size)


def structured_arrays(structured, base):
    """The classes (ids from ``base`` up, apart from every flat class) and frozen masks
    of the structured parameters, as ``ByRows`` arrays."""
    classes, frozen = {}, {}
    for fam, members in structured.families().items():
        for mem in members:
            def block(start, stop, fam=fam, mem=mem, base=base):
                return base + structured.class_ids(fam, mem, slice(start, stop))
            classes[mem.name] = ByRows(mem.name, mem.shape, np.int64, block,
                                       lambda fam=fam, mem=mem: structured.class_count(fam, mem),
                                       structured.row_labels(fam, mem))
            frozen[mem.name] = ByRows(mem.name, mem.shape, bool, _frozen_block(mem), mem.frozen_count)
        base += structured.class_span(fam)
    return classes, frozen


def _frozen_block(mem):
    def block(start, stop):
        out = np.ones((stop - start, mem.n), bool)
        for r, c in mem.thawed:
            out[np.ix_(r[start:stop], c)] = False
        return out
    return block


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
                            "classes": count_classes(c),
                            "frozen": int(self.frozen[name].sum())}
            if isinstance(c, ByRows):
                params[name]["kept"] = "by rows and columns"
        return {
            "model": self.model,
            "objective": self.objective,
            "ok": self.ok,
            "parameters": params,
            "findings": [{"kind": f.kind, "module": f.module_path, "message": f.message,
                          "evidence": f.evidence, "parameters": list(f.parameters)} for f in self.findings],
            "tied": self._tied_groups(),
            "frozen": {n: _frozen_entries(m) for n, m in self.frozen.items() if self.trainable[n] and m.any()},
            "notes": list(self.notes),
        }

    def _tied_groups(self):
        """Every class with more than one live trainable entry, as "name[i, j]" strings
        (for a parameter kept by rows and columns: its tied rows, "name[i, :]")."""
        names = [n for n in self.classes if self.trainable[n] and not isinstance(self.classes[n], ByRows)]
        return self._flat_tied(names) + self._tied_rows()

    def _tied_rows(self):
        out = []
        for n, c in self.classes.items():
            if isinstance(c, ByRows) and self.trainable[n] and not self.frozen[n].any():
                _, inv, cnt = np.unique(c.row_labels, return_inverse=True, return_counts=True)
                inv = inv.reshape(-1)
                for g in np.flatnonzero(cnt > 1):
                    out.append([f"{n}[{i}, :]" for i in np.flatnonzero(inv == g)])
        return out

    def _flat_tied(self, names):
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


def _frozen_entries(mask):
    """The frozen entries' indices, or for a parameter kept by rows and columns the count
    and whether it is all of it."""
    if isinstance(mask, ByRows):
        return {"entries": mask.count(), "all": bool(mask.all())}
    return [list(map(int, i)) for i in np.argwhere(mask)]
