"""Findings a practitioner can act on, by module path, at unit level where possible.

Kinds: "tied" (proven tied forever), "frozen" (proven never to move),
"learns" (starts at zero and does move), "separates" (starts as an exact
copy and does not stay one), "note" (what the analysis assumed).  The first
two are proofs (fixpoints); the numeric evidence beside them comes from
torch autograd in float64 at the init and only supports them.
"""

import numpy as np

from ..maths.refine import dense
from . import evidence as E
from .findings_byrows import ByRowsFindings
from .verdicts import FROZEN_KEEP, TIE_KEEP, Finding, groups_text, module_of, modules_apart, unavailable

def _identical(rows, usable):
    """Groups (lists of indices, size > 1) of identical rows among the usable ones."""
    idx = np.flatnonzero(usable)
    if len(idx) < 2:
        return []
    _, inv, cnt = np.unique(rows[idx], axis=0, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    order = np.argsort(inv, kind="stable")
    bounds = np.cumsum(cnt)[:-1]
    groups = [sorted(map(int, idx[g])) for g in np.split(order, bounds) if len(g) > 1]
    return sorted(groups)


def _tied_entries(fp):
    """Flat bool: the moving entries (trainable, not frozen) whose class has another
    moving entry; only the entries that share their class at all are looked at."""
    at = np.flatnonzero(fp.trainable & ~fp.frozen & fp.sharing())
    ids, count = dense(fp.classes[at].view(np.uint64))
    out = np.zeros(len(fp.classes), bool)
    out[at] = np.bincount(ids, minlength=count)[ids] > 1
    return out


class Report(ByRowsFindings):
    """Builds the findings from a fixpoint (and a float64 probe for evidence)."""

    def __init__(self, fp, values, probe, objective, assumed=(), starts=None):
        self.fp, self.probe, self.objective = fp, probe, objective
        self.starts = starts or {}
        self.assumed = assumed   # the slopes at kinks the zero fixpoint relies on ("relu'(0) = 0")
        self.values = fp.split(values)
        self.classes, self.frozen = fp.split(fp.classes), fp.split(fp.frozen)
        self.train = {n: bool(a.all()) for n, a in fp.split(fp.trainable).items()}
        self.tied_flat = _tied_entries(fp)
        self.tied = fp.split(self.tied_flat)
        self._g0 = None
        self.findings = []

    @property
    def g0(self):
        if self._g0 is None:
            self._g0 = self.probe.grads()
        return self._g0

    def add(self, kind, module, message, evidence, params):
        """A finding; ``evidence`` is a function, called here and at once, whose text
        says so when the float64 copy of the model cannot run."""
        try:
            evidence = evidence()
        except E.NoEvidence as e:
            evidence = unavailable(e)
        self.findings.append(Finding(kind, module, f"{message} (objective: {self.objective})",
                                     evidence, tuple(params)))

    def tie_evidence(self, names):
        g = np.concatenate([self.g0[n].ravel() for n in self.fp.names])
        mask = np.zeros_like(self.tied_flat)
        o = 0
        for n in self.fp.names:
            k = self.classes[n].size
            if n in names:
                mask[o:o + k] = self.tied[n].ravel()
            o += k
        c, gv = self.fp.classes[mask], g[mask]
        hi = np.full(int(self.fp.classes.max()) + 1, -np.inf)
        lo = np.full_like(hi, np.inf)
        np.maximum.at(hi, c, gv)
        np.minimum.at(lo, c, gv)
        worst = float((hi[c] - lo[c]).max()) if len(c) else 0.0
        return (f"autograd (float64) at init: gradients within each tied group agree to {worst:.1g} "
                f"(rounding bound {E.bound(self.g0):.1g}); the proof is the refinement fixpoint")

    def _frozen_evidence(self, names):
        worst = max(float(np.abs(self.g0[n][self.frozen[n]]).max()) for n in names)
        return (f"autograd (float64) at init: largest |grad| over these entries = {worst:.3g}"
                + (" (exactly 0)" if worst == 0 else ""))

    # --- the kinds ---------------------------------------------------------
    def frozen_findings(self):
        by_module = {}
        for n in self.fp.names:
            if self.train[n] and self.frozen[n].any():
                by_module.setdefault(module_of(n), []).append(n)
        for mod, names in by_module.items():
            parts, decays = [], False
            for n in names:
                f, v = self.frozen[n], self.values[n]
                zero = bool((v[f] == 0).all())
                decays |= not zero
                what = n if f.all() else f"{int(f.sum())} of {f.size} entries of {n}"
                parts.append(what + (" (zero init)" if zero else " (nonzero init)"))
            msg = (f"{', '.join(parts)} never move{'s' if len(parts) == 1 else ''}: proven never to "
                   f"receive a gradient (zero fixpoint{', with ' + ' and '.join(self.assumed) if self.assumed else ''}); "
                   f"{FROZEN_KEEP}")
            if decays:
                msg += "; under weight decay their nonzero entries still decay toward 0"
            self.add("frozen", mod, msg, lambda: self._frozen_evidence(names), names)

    def tie_findings(self):
        explained = {n: np.zeros(self.classes[n].shape, bool) for n in self.fp.names}
        for n in self.fp.names:
            c, t = self.classes[n], self.tied[n]
            if not t.any():
                continue
            mod = module_of(n)
            if c.ndim >= 2 and not n.endswith(".bias"):
                rows, usable = c.reshape(c.shape[0], -1), t.reshape(c.shape[0], -1).all(axis=1)
                bias = n[:-len("weight")] + "bias" if n.endswith("weight") else None
                extra = []
                if bias in self.classes and self.classes[bias].shape == (c.shape[0],):
                    rows = np.concatenate([rows, self.classes[bias][:, None]], axis=1)
                    usable &= self.tied[bias]
                    extra = [bias]
                groups = _identical(rows, usable)
                if groups:
                    units = c.shape[0]
                    eff = units - sum(len(g) - 1 for g in groups)
                    for g in groups:
                        explained[n][g] = True
                        if extra:
                            explained[bias][g] = True
                    msg = (f"{mod or n}: {groups_text(groups, 'units')} identical and tied forever "
                           f"({eff} effective unit{'s' * (eff != 1)} of {units}); {TIE_KEEP}")
                    self.add("tied", mod, msg, lambda: self.tie_evidence([n] + extra), [n] + extra)
                if c.ndim == 2:
                    left = t & ~explained[n]
                    cols = _identical(c.T, left.all(axis=0) & left.any(axis=0))
                    if cols:
                        for g in cols:
                            explained[n][:, g] = True
                        msg = (f"{n}: {groups_text(cols, 'input columns')} tied forever (they read "
                               f"tied inputs); {TIE_KEEP}")
                        self.add("tied", mod, msg, lambda: self.tie_evidence([n]), [n])
        for n in self.fp.names:
            left = self.tied[n] & ~explained[n]
            if left.any():
                k = int(np.unique(self.classes[n][left]).size)
                msg = (f"{n}: {int(left.sum())} of {left.size} entries tied forever in {k} "
                       f"class{'es' * (k != 1)}; {TIE_KEEP}")
                self.add("tied", module_of(n), msg, lambda: self.tie_evidence([n]), [n])
        self.cross_findings()

    def cross_findings(self):
        ends = np.cumsum([self.classes[n].size for n in self.fp.names])
        at = np.flatnonzero(self.tied_flat)
        c, o = self.fp.classes[at], np.searchsorted(ends, at, side="right")   # class, owning parameter
        pairs = np.unique(np.stack([c, o], axis=1), axis=0)
        spans = np.bincount(pairs[:, 0], minlength=int(self.fp.classes.max()) + 1)
        multi = pairs[spans[pairs[:, 0]] > 1]
        seen = {}
        for cls in np.unique(multi[:, 0]):
            key = tuple(self.fp.names[i] for i in multi[multi[:, 0] == cls, 1])
            seen[key] = seen.get(key, 0) + 1
            if len(seen) > 20:
                break
        for names, k in seen.items():
            mods = sorted({module_of(n) for n in names})
            msg = (f"{' and '.join(names)}: {k} class{'es' * (k != 1)} of entries tied forever "
                   f"across these parameters (copies that stay copies); {TIE_KEEP}")
            self.add("tied", mods[0], msg, lambda: self.tie_evidence(list(names)), names)

    def learns_findings(self):
        for n in self.fp.names:
            v, f = self.values[n], self.frozen[n]
            if not self.train[n] or v.size == 0 or (v != 0).any() or f.all() or n.endswith("bias"):
                continue                          # zero biases are the default: not worth a finding
            try:
                hit = E.first_nonzero(self.probe.fresh(), [n])
            except E.NoEvidence as e:               # the claim is only what the fixpoint proves
                why = unavailable(e)
                self.add("learns", module_of(n), f"{n} starts at zero and is not frozen{self._beside(n)}: "
                         f"the zero fixpoint does not hold for it", lambda: why, [n])
                continue
            how = ("its gradient at init is nonzero" if hit and hit[0] == 0 else
                   "it receives a gradient once other parameters have moved")
            ev = E.describe_nonzero(hit) if hit else "no gradient above the rounding bound within 3 SGD steps"
            self.add("learns", module_of(n), f"{n} starts at zero and learns{self._beside(n)}: {how} "
                     f"(not frozen: the zero fixpoint does not hold for it)", lambda: ev, [n])

    def _beside(self, name):
        """The parameters of the same module that start nonzero, as they start
        (``(lora_A is random)``): what a zero parameter's gradient can flow through."""
        found = []
        for other in self.fp.names:
            v = self.values[other]
            if other == name or module_of(other) != module_of(name) or v.size == 0 or not (v != 0).any():
                continue
            stated = self.starts.get(other)
            if stated is not None and stated.kind != "values":
                found.append(f"{other} is {stated.describe()}")
                continue
            start = ("random: no entry 0, not all equal" if len(np.unique(v)) > 1 else f"the constant {float(v.flat[0]):g}") if (v != 0).all() \
                else "partly nonzero"
            found.append(f"{other} is {start}")
        return f" ({'; '.join(found)})" if found else ""

    def separation_findings(self):
        """Deep copies (equal random values, same local name) that the refinement separates."""
        live = {n for n in self.fp.names if self.train[n] and not self.frozen[n].any()}
        buckets = {}
        for n in self.fp.names:
            v = self.values[n]
            stated = self.starts.get(n)
            if stated is not None and stated.kind in ("random", "copy"):   # copies by statement, not value
                if n in live and stated.kind == "copy" and stated.source in live:
                    buckets.setdefault(("copy", stated.source), [stated.source]).append(n)
                continue
            if n in live and v.size > 1 and (v != v.flat[0]).any():      # constant inits are no copies
                buckets.setdefault((n.rsplit(".", 1)[-1], v.shape, v.tobytes()), []).append(n)
        pairs = {}
        for key, names in buckets.items():
            stated = key[0] == "copy"                  # each copy beside the parameter it copies
            for a, b in zip([names[0]] * (len(names) - 1) if stated else names, names[1:]):
                if (np.asarray(self.classes[a]) != np.asarray(self.classes[b])).any():
                    pairs.setdefault(modules_apart(a, b), []).append((a, b))
        self._separations(pairs)

    def _separations(self, pairs):
        """One finding per copied module and verdict: "they do not stay tied" only for the
        copies whose float64 gradients differ from the original's beyond the rounding
        bound (one short SGD run for them all); the others are said not to be proven tied."""
        by_source = {}
        for (ma, mb), ps in pairs.items():
            by_source.setdefault(ma, []).append((mb, ps))
        for ma, copies in by_source.items():
            try:
                runs = E.first_differences(self.probe.fresh(), [ps for _, ps in copies])
            except E.NoEvidence as e:
                runs, why = [None] * len(copies), unavailable(e)
            certified = [(mb, ps, r) for (mb, ps), r in zip(copies, runs) if r is not None and r[1] > r[2]]
            rest = [(mb, ps, r) for (mb, ps), r in zip(copies, runs) if r is None or r[1] <= r[2]]
            if certified:
                k = max(r[0] for _, _, r in certified)
                worst, b = min(r[1] for _, _, r in certified), certified[0][2][2]
                when = "at init" if k == 0 else f"within {k} SGD step{'s' * (k > 1)} (lr {E.LR})"
                self._add_copies("separates", ma, certified, " and they do not stay tied: the refinement separates "
                                 "them, so the copy costs nothing",
                                 f"autograd (float64) {when}: the gradients of every copy differ from the original's "
                                 f"by at least {worst:.3g} somewhere (rounding bound {b:.1g})")
            if rest:
                evidence = why if rest[0][2] is None else (
                    f"autograd (float64) over {rest[0][2][0]} SGD steps: the copies' gradients differ by at most "
                    f"{max(r[1] for _, _, r in rest):.3g}, within the rounding bound {rest[0][2][2]:.1g}: not a "
                    f"certificate that they separate")
                self._add_copies("separates", ma, rest, "; the refinement does not prove that they stay tied, so no "
                                 "tie is claimed", evidence)

    def _add_copies(self, kind, ma, copies, verdict, evidence):
        names = [mb for mb, _, _ in copies]
        count = len(copies[0][1])
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        head = (f"{shown} starts as an exact copy of {ma}" if len(names) == 1 else
                f"{shown} ({len(names)} modules) start as exact copies of {ma}")
        msg = f"{head} ({count} parameter{'s' * (count != 1)} equal{' each' * (len(names) > 1)}){verdict}"
        self.add(kind, ma, msg, lambda: evidence, [q for _, ps, _ in copies for p in ps for q in p])

