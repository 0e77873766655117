"""The sentences a proof is written in, shared by text, JSON and reports: the scope of a
claim ("for every input", the data, the assumptions), conclusions, stationary points, frozen
parameters and separations.

>>> join_and(["a", "b", "c"])
'a, b and c'
"""
from __future__ import annotations

import sympy as sp

from ..proofs.trajectory import by_run
from .expressions import natural_key, text


def derivative_label(objective, w) -> str:
    return f"d{objective}/d{w}"


SUMMARY_LIMIT = 2_000  # parameters beyond which a proof is summarised (the full listing: --full, --json)


def class_text(members) -> str:
    """``w5 = w6 = w7 = w8``."""
    return " = ".join(map(str, members))


def class_sizes(classes) -> str:
    """How many classes, and how many of each size.

    >>> class_sizes(((0, 1), (2, 3), (4,)))
    '3 classes: 2 with 2 parameters each, 1 with 1 parameter'
    """
    counts: dict[int, int] = {}
    for c in classes:
        counts[len(c)] = counts.get(len(c), 0) + 1
    parts = [f"{k:,} with {size:,} parameter{'s' if size != 1 else ''}{' each' if k > 1 else ''}"
             for size, k in sorted(counts.items(), reverse=True)[:6]]
    return f"{len(classes):,} class{'es' if len(classes) != 1 else ''}: {', '.join(parts)}{', ...' if len(counts) > 6 else ''}"


def join_and(parts: list[str]) -> str:
    """``a, b and c``."""
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def data_phrase(net) -> str | None:
    """What the data fix, as a phrase (``x2 = x1; target t1 = 1, t2 = 0``),
    or None when every input and target is free (one sample of plain
    symbols, or fresh symbols of their own).

    >>> import sympy as sp
    >>> from symgrad import examples
    >>> x1, x2 = sp.symbols("x1 x2")
    >>> data_phrase(examples.toy()), data_phrase(examples.toy().with_data([{x2: x1}]))
    (None, 'x2 = x1')
    >>> data_phrase(examples.toy().with_data([{}, {x1: 3}]))   # x2 is left as it is in both samples
    'sample 2: x1 = 3; x2 the same in samples 1 and 2'
    """
    full = net.sample_values()
    shared = _shared_across_samples(full)
    phrases = [_sample_phrase(net, values, shared) for values in full]
    if len(phrases) == 1:
        return phrases[0]
    parts = [f"sample {k}: {p}" for k, p in enumerate(phrases, 1) if p]
    parts += [_shared_phrase(v, slots) for v, slots in shared.items()]
    return "; ".join(parts) or None


def _shared_across_samples(full: list[dict]) -> dict:
    """Each symbol that is the whole value of inputs or targets in more than
    one sample (the samples then are not free of each other), with those
    (sample number, input) slots."""
    slots: dict = {}
    for k, values in enumerate(full, 1):
        for s, v in values.items():
            if isinstance(v, sp.Symbol):
                slots.setdefault(v, []).append((k, s))
    return {v: found for v, found in sorted(slots.items(), key=lambda item: natural_key(item[0].name))
            if len({k for k, _ in found}) > 1}


def _shared_phrase(v, slots) -> str:
    """``x2 the same in samples 1 and 2``, or ``x1 of sample 1 = x2 of sample 2 = u``."""
    names = {s for _, s in slots}
    if len(names) == 1:
        (s,) = names
        return f"{s} the same in samples {join_and([str(k) for k, _ in slots])}" + ("" if v == s else f" (= {v})")
    return " = ".join(f"{s} of sample {k}" for k, s in slots) + ("" if v in names else f" = {v}")


def _sample_phrase(net, full: dict, shared: dict) -> str | None:
    """One sample's restrictions: inputs tied to something, then the targets'
    values (a symbol ``shared`` with other samples is said once, for all)."""

    def free(s, v):   # a fresh name, assuming no more than the input itself, used nowhere else
        return isinstance(v, sp.Symbol) and not _assumed(v) - _assumed(s) \
            and all(v not in u.free_symbols for t, u in full.items() if t != s)

    fixed = {s: v for s, v in full.items() if v != s and not free(s, v) and not (v in shared and not (
        _assumed(v) - _assumed(s)))}

    def shown(s, v):
        extra = sorted(set().union(*(_assumed(u) - _assumed(s) for u in sp.sympify(v).free_symbols)))
        return f"{s} = {text(v)}" + (f" ({', '.join(extra)})" if extra else "")

    inputs = [shown(s, v) for s, v in fixed.items() if s in net.inputs]
    targets = [shown(s, v) for s, v in fixed.items() if s in net.targets]
    parts = inputs + ([f"target {', '.join(targets)}"] if targets else [])
    return ", ".join(parts) or None


ASSUMPTIONS = ("positive", "negative", "nonzero", "nonnegative", "nonpositive", "integer", "rational", "even", "odd",
               "prime")


def _assumed(symbol) -> set[str]:
    """The declared properties of ``symbol`` a reader cares about (positive, integer, ...)."""
    facts = symbol.assumptions0 if isinstance(symbol, sp.Symbol) else {}
    found = {k for k in ASSUMPTIONS if facts.get(k)}
    # report the strongest sign only: positive implies nonzero and nonnegative
    if "positive" in found or "negative" in found:
        found -= {"nonzero", "nonnegative", "nonpositive"}
    if "even" in found or "odd" in found or "prime" in found:
        found -= {"integer", "rational"}
    if "integer" in found:
        found.discard("rational")
    return found


def scope(net) -> str:
    """For which inputs a claim holds: "every input", or the data's restriction.

    >>> import sympy as sp
    >>> from symgrad import examples
    >>> scope(examples.toy()), scope(examples.toy().with_data([{sp.Symbol("x2"): sp.Symbol("x1")}]))
    ('every input', 'every input with x2 = x1')
    """
    restriction = data_phrase(net)
    samples = len(net.samples)
    if restriction is None:
        every = "every input" + (" and target" if net.targets else "")
        return every if samples == 1 else f"{every} of {samples} samples (gradients summed)"
    if samples == 1:
        return f"every input with {restriction}" if not restriction.startswith("target") else \
            f"every input, with {restriction}"
    return f"the {samples} samples of the data (gradients summed; {restriction})"


def conclusion(proof) -> str:
    """The invariant ties in one sentence, with their scope (beyond ``SUMMARY_LIMIT``
    parameters, the classes by size: the listing is the proof's ``invariant``)."""
    net = proof.network
    tied = [c for c in proof.invariant_classes if len(c) > 1]
    if not tied:
        return "no two parameters are proven tied on the whole tied subspace"
    if net.parameter_count > SUMMARY_LIMIT:
        ties = f"the parameters stay equal within each class of this partition: {class_sizes(proof.invariant_classes)},"
    else:
        ties = join_and([class_text(map(net.param_name, c)) for c in tied])
    return f"{ties} for every step, every learning rate and {scope(net)}"


def stationary_text(proof, objective) -> str:
    """The stationarity verdict: proven, refuted with its point, or undecided."""
    if proof.stationary:
        return "proven: every gradient vanishes identically at the initial point; nothing ever moves."
    if proof.stationary is False and proof.stationary_witness:
        w, point, value = proof.stationary_witness
        return f"no: d{objective}/d{w} = {text(value)} at {point_text(point)}."
    if proof.engine == "structural":
        return "not decided by this engine."
    return "undecided (no gradient is proven nonzero, and not every one is proven zero)."


def point_text(point: dict) -> str:
    """``a = 1/2, x1 = 3`` (in natural name order)."""
    return ", ".join(f"{s} = {text(v)}" for s, v in sorted(point.items(), key=lambda kv: natural_key(str(kv[0])))) or "any point"


def frozen_lines(proof) -> list[str]:
    """Which parameters never move, and what follows for ties among them."""
    if proof.frozen is None:
        return ["Never moves: not decided by this engine."]
    if not proof.frozen:
        return ["Never moves: no parameter is proven frozen."]
    lines = [f"Never moves: {', '.join(map(str, proof.frozen))} (each gradient vanishes identically while these "
             "keep their initial values, whatever the others do; so under gradient descent, momentum, Adam or any "
             "step that is zero for a zero gradient; weight decay would still shrink a nonzero one toward 0)."]
    same: dict = {}
    for p in proof.frozen_parameters:
        same.setdefault(proof.initial_values[p], []).append(proof.network.parameters[p])
    groups = [f"{class_text(g)} = {text(v)}" for v, g in same.items() if len(g) > 1]
    if groups:
        lines.append(f"  so these stay equal forever from this initialisation: {join_and(groups)}.")
    return lines


def separation_lines(proof, shown: int = 12) -> list[str]:
    """The trajectory witnesses, by run, and the pairs of classes no run separated."""
    classes = proof.invariant
    if len(classes) < 2:
        return []
    lines = []
    every = len(classes) * (len(classes) - 1) // 2
    for (lr, point, arithmetic), steps in by_run(proof.separations).items():
        shown_steps = []
        for k, found in steps.items():
            pairs = [f"{sep.first}/{sep.second}" for sep in found]
            shown_steps.append(f"step {k}: {f'all {every:,} pairs' if len(pairs) == every else _some(pairs, shown)}")
        lines.append(f"  gradient descent with eta = {text(lr)} at {point_text(dict(point))} "
                     f"({ARITHMETIC[arithmetic]}; the first step at which the pair differs): {'; '.join(shown_steps)}")
    if lines:
        lines.insert(0, "Separate (pairs of classes, by a representative each, that differ along a run of gradient "
                        "descent from the initial point):")
    if proof.not_separated is None:
        lines.append("Not shown to separate: no run was tried for a network this large.")
        return lines
    open_pairs = [f"{{{', '.join(map(str, classes[i]))}}} and {{{', '.join(map(str, classes[j]))}}}"
                  for i, j in proof.open_pairs]
    if open_pairs:
        lines.append(f"Not shown to separate (no run found them differ; a coarser tie may survive from this "
                     f"initialisation): {_some(open_pairs, shown)}.")
    return lines


ARITHMETIC = {"exact": "computed exactly", "interval": "rigorous interval enclosures, disjoint"}


def _some(items: list[str], shown: int) -> str:
    return ", ".join(items) if len(items) <= shown else ", ".join(items[:shown]) + f" and {len(items) - shown:,} more"


def at_init_heading(proof) -> str:
    """What the list of classes at the initial point shows: equal gradients,
    gradients of their own (a class of one), or both."""
    tied, alone = (any((len(c) > 1) is kind for c in proof.at_init_classes) for kind in (True, False))
    structural = proof.engine != "algebraic"
    if not tied:
        return "At the initial point, no two gradients " + ("shown equal (this engine sees structure, not algebra)"
                                                            if structural else "are equal")
    return "At the initial point, equal gradients" + (" (in braces)" if alone else "") + (
        " (at least these; this engine sees structure, not algebra)" if structural else "") + (
        " and gradients of their own" if alone else "")
