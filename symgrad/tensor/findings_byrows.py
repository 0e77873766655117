"""Findings about the parameters lint keeps by rows and columns (large parameters of a
stated start): frozen blocks, tied units and columns, copies that stay copies and
zero starts that learn, read from their row and column labels
(``symgrad.tensor.structure``), never from one colour per entry."""

import numpy as np

from . import evidence as E
from .verdicts import FROZEN_KEEP, TIE_KEEP, groups_text, module_of, modules_apart


class ByRowsFindings:
    """The findings ``Report`` adds for structured parameters (it mixes this in)."""

    def structured_findings(self):
        """Frozen, tied, learning and separated parameters among those kept by rows and
        columns (large parameters of a stated start), from their labels."""
        st = self.fp.structured
        if st is None:
            return
        for fam, members in st.families().items():
            for mem in members:
                if mem.trainable and mem.frozen_count():
                    self._structured_frozen(mem)
                elif mem.trainable and fam == ("constant", 0.0):
                    self.add("learns", module_of(mem.name), f"{mem.name} starts at zero and is not frozen: the zero "
                             f"fixpoint does not hold for it", lambda mem=mem: self._learns_evidence(mem.name), [mem.name])
            if not st.singleton(fam, members):
                self._structured_ties(fam, members)
        pairs = {}
        for mem in st.members.values():
            start = self.starts.get(mem.name)
            source = st.members.get(start.source) if start is not None and start.kind == "copy" else None
            if source is not None and mem.trainable and not (np.array_equal(mem.R, source.R)
                                                           and np.array_equal(mem.C, source.C)):
                pairs.setdefault(modules_apart(source.name, mem.name), []).append((source.name, mem.name))
        self._separations(pairs)

    def _structured_frozen(self, mem):
        start = self.starts[mem.name]
        k = mem.frozen_count()
        what = mem.name if k == mem.size else f"{k:,} of {mem.size:,} entries of {mem.name}"
        msg = (f"{what} ({start.describe() if start.kind != 'copy' else 'copy'} init) never moves: proven never "
               f"to receive a gradient (zero fixpoint{', with ' + ' and '.join(self.assumed) if self.assumed else ''}); "
               f"{FROZEN_KEEP}")
        if start.kind != "constant" or start.value != 0:
            msg += "; under weight decay its nonzero entries still decay toward 0"

        def evidence():
            worst = float(np.abs(self.g0[mem.name][mem.frozen_mask()]).max())
            return (f"autograd (float64) at init: largest |grad| over these entries = {worst:.3g}"
                    + (" (exactly 0)" if worst == 0 else ""))
        self.add("frozen", module_of(mem.name), msg, evidence, [mem.name])

    def _learns_evidence(self, name):
        hit = E.first_nonzero(self.probe.fresh(), [name])
        return E.describe_nonzero(hit) if hit else "no gradient above the rounding bound within 3 SGD steps"

    def _structured_ties(self, fam, members):
        """Tied units (rows of equal classes), tied input columns, and classes shared
        across parameters (copies that stay copies)."""
        st = self.fp.structured
        for mem in members:
            if not mem.trainable or mem.frozen_count():
                continue
            for labels, word in ((st.row_labels(fam, mem), "units"), (st.col_labels(fam, mem), "input columns")):
                groups = _label_groups(labels)
                if groups:
                    msg = (f"{mem.name}: {groups_text(groups, word)} identical and tied forever "
                           f"({len(np.unique(labels))} distinct of {len(labels)}); {TIE_KEEP}")
                    self.add("tied", module_of(mem.name), msg,
                             lambda n=mem.name, r=st.row_labels(fam, mem), c=st.col_labels(fam, mem): self._tie_spread(n, r, c),
                             [mem.name])
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                x, y = members[a], members[b]
                shared = st.shared(fam, x, y)
                if shared and x.trainable and y.trainable and not x.frozen_count() and not y.frozen_count():
                    msg = (f"{x.name} and {y.name}: {shared:,} class{'es' * (shared != 1)} of entries tied forever "
                           f"across these parameters (copies that stay copies); {TIE_KEEP}")
                    self.add("tied", module_of(x.name), msg, lambda p=(x.name, y.name): self._copy_spread(p),
                             [x.name, y.name])

    def _tie_spread(self, name, rows, cols):
        mem = self.fp.structured.members[name]
        g = self.g0[name].reshape(mem.m, mem.n)
        worst = max(_spread(g, rows), _spread(g.T, cols))
        return (f"autograd (float64) at init: gradients of the tied rows and columns agree to {worst:.1g} "
                f"(rounding bound {E.bound(self.g0):.1g}); the proof is the refinement fixpoint")

    def _copy_spread(self, pair):
        a, b = (self.fp.structured.members[n] for n in pair)
        if a.shape != b.shape:
            return "the tied entries sit at different places of differently shaped parameters; the proof is the refinement fixpoint"
        fam = a.family
        ca = self.fp.structured.class_ids(fam, a)
        same = ca == self.fp.structured.class_ids(fam, b)
        diff = np.abs(self.g0[a.name].reshape(a.m, a.n) - self.g0[b.name].reshape(b.m, b.n))
        worst = float(diff[same].max()) if same.any() else 0.0
        return (f"autograd (float64) at init: the copies' gradients agree to {worst:.1g} at the tied places "
                f"(rounding bound {E.bound(self.g0):.1g}); the proof is the refinement fixpoint")

def _label_groups(labels):
    """Groups (index lists, size > 1) of equal labels."""
    _, inv, cnt = np.unique(labels, return_inverse=True, return_counts=True)
    inv = inv.reshape(-1)
    return [sorted(map(int, np.flatnonzero(inv == g))) for g in np.flatnonzero(cnt > 1)][:1000]


def _spread(g, labels):
    """Largest difference between rows of ``g`` with equal labels."""
    worst = 0.0
    for grp in _label_groups(labels):
        rows = g[grp]
        worst = max(worst, float((rows.max(axis=0) - rows.min(axis=0)).max()))
    return worst
