"""What a report shows, as strings already printed.

``symgrad.report.study`` runs the engines once (derivation, proofs, unrolled
steps, effective widths, analyses); this module typesets the study, every
expression printed with symgrad's LaTeX printer and broken into lines that
fit the page.  The templates only arrange what it returns; prose from users
is escaped there.

>>> from symgrad import examples
>>> ctx = example_context(examples.example("toy"))
>>> ctx["scenarios"][0]["conclusion"]
'w1 = w2, w3 = w4, w5 = w6 = w7 = w8 and w9 = w10 for every step, every learning rate and every input'
"""
from __future__ import annotations

import sympy as sp

from ..present.expressions import factored, latex, with_factored
from ..present.phrases import conclusion, scope
from ..proofs.trajectory import by_run
from .analyses import analysis
from .breaking import width
from .diagram import diagram
from .environment import TeX, escape
from .study import study_example, study_network
from .typeset import MAX_ROWS, PAGE, block, chain, listing, members, node_names, partial, partials, tex

def tied_text(proof) -> TeX:
    """The invariant ties as a sentence with the classes typeset as math."""
    tied = [f"${members(c, limit=len(c))}$" for c in proof.invariant if len(c) > 1]
    if not tied:
        return TeX(escape("no two parameters are proven tied on the whole tied subspace"))
    listed = tied[0] if len(tied) == 1 else ", ".join(tied[:-1]) + " and " + tied[-1]
    return TeX(listed + escape(f" for every step, every learning rate and {scope(proof.network)}"))


# -- the network and its derivation -----------------------------------------------
def network_section(net, derivation) -> dict:
    """Diagram, forward equations, pre-activations and backward (delta) equations."""
    def equations(defs):
        return [{"lhs": r["lhs"], "lines": r["lines"] or [TeX(r"\cdots")]} for r in block([(tex(k), v) for k, v in defs.items()])]

    return {
        "name": net.name, "description": net.description, "diagram": diagram(net),
        "inputs": TeX(", ".join(latex(x) for x in net.inputs)),
        "weights": net.weight_count, "biases": net.bias_count,
        "activations": sorted({net.nodes[j].activation.describe() for j in net.neurons}),
        "step_slope": any(net.nodes[j].activation.kink for j in net.neurons),
        "forward": equations(derivation.forward), "pre": equations(derivation.pre),
        "deltas": equations(derivation.deltas),
        "objective": tex(net.nodes[net.objective].symbol),
    }


def derivation_section(derivation) -> list[dict]:
    """For every parameter, the chain of equal forms that fit on the page."""
    net = derivation.network
    objective = net.nodes[net.objective].symbol
    out = []
    for w in net.parameters[:MAX_ROWS]:
        steps = derivation.steps(w)
        label = partial(objective, w)
        rows, shown = chain(steps, PAGE - width(label) - 3)
        out.append({"label": label, "rows": rows, "cut": shown < len(steps)})
    return out


# -- one scenario ---------------------------------------------------------------------
def scenario_section(scenario) -> dict:
    """A scenario (a ``ScenarioStudy``): initialisation, gradients at the initial
    point, the invariant ties (or the stationary theorem), effective width, unrolled steps."""
    proof = scenario.proof
    net, init = proof.network, proof.init
    params = net.parameters
    objective = net.nodes[net.objective].symbol
    section = {
        "title": scenario.title or _sentence(TeX(escape(init.describe()))), "remark": scenario.remark, "init": init.describe() + init.bias_phrase(net),
        "assumptions": _assumptions(proof), "data": _data(net),
        "starts": [{"members": listing([params[p] for p in c]), "value": tex(proof.initial_values[c[0]])}
                   for c in proof.base],
        "at_init": block([(partials(objective, [params[p] for p in c]) if k == 0 else TeX(""), form)
                          for c in proof.at_init_classes
                          for k, form in enumerate(with_factored(proof.at_init_gradients[c[0]]))],
                         node_names(net, proof.initial_values))
        if proof.at_init_gradients else [],
        "factored": proof.at_init_gradients is not None and any(
            factored(proof.at_init_gradients[c[0]]) is not None for c in proof.at_init_classes),
        "classes": len(proof.at_init_classes), "alone": sum(len(c) == 1 for c in proof.at_init_classes),
        "matrices": _matrices(proof),
        "splits": [_split(proof, s) for s in proof.at_init_splits[:8] if s.point is not None],
        "undecided": [members([params[a], params[b]]) for a, b in proof.undecided],
        "stationary": proof.stationary, "moving": _moving(proof), "scope": scope(net), "engine": proof.engine,
        "frozen": None if proof.frozen is None else listing(proof.frozen),
        "separations": _separations(proof), "apart": _not_separated(proof),
        "induction": _induction(proof),
        "conclusion": conclusion(proof), "tied": tied_text(proof), "tied_sentence": _sentence(tied_text(proof)),
        "widths": [{"layer": w.layer, "units": w.units, "distinct": w.distinct,
                    "groups": [members(g) for g in w.groups]} for w in scenario.widths],
        "conventions": [_convention(h0, variant) for h0, variant in scenario.conventions],
        "unrolled": _unrolled(scenario.trajectory) if scenario.trajectory is not None else [],
    }
    section["summary"] = _summary(section, proof)
    return section


def _sentence(text: TeX) -> TeX:
    return TeX(text[:1].upper() + text[1:]) if text[:1].isalpha() else text


def _assumptions(proof) -> list[TeX]:
    symbols = set().union(*(sp.sympify(v).free_symbols for v in proof.initial_values))
    symbols |= set(proof.network.inputs)
    found = []
    for s in sorted(symbols, key=str):
        sign = "> 0" if s.is_positive else "< 0" if s.is_negative else None
        if sign:
            found.append(TeX(f"{latex(s)} {sign}"))
    return found


def _data(net) -> list[list[TeX]]:
    """Each sample as a list of ``symbol = value`` (empty for the network's own symbols)."""
    if net.data is None:
        return []
    return [[TeX(f"{latex(k)} = {latex(v)}") for k, v in sample.items()] for sample in net.samples]


def _matrices(proof) -> list[dict]:
    """Gradient matrices (sources x units) of small dense layers at the initial point."""
    net = proof.network
    if proof.at_init_gradients is None:
        return []
    found = []
    for layer in net.layers:
        if layer.kind != "dense" or len(layer.units) > 4:
            continue
        units = [u[0] for u in layer.units]
        sources = sorted({net.edge_source[e] for u in units for e in net.in_edges[u]} - {_bias(net)})
        if len(sources) > 4 or len(sources) * len(units) < 4:
            continue
        grid = {(net.edge_source[e], net.edge_target[e]): net.edge_param[e] for u in units for e in net.in_edges[u]}
        rows = [[tex(proof.at_init_gradients[grid[s, u]]) for u in units] for s in sources]
        if max(width(cell) for row in rows for cell in row) * len(units) > PAGE / 2:
            continue
        names = [[tex(net.parameters[grid[s, u]]) for u in units] for s in sources]
        found.append({"layer": layer.name, "rows": rows, "names": names})
    return found


def _bias(net):
    return next((j for j, n in enumerate(net.nodes) if n.kind == "bias"), None)


def _moving(proof) -> dict | None:
    """The certificate that the initial point is not stationary."""
    if proof.stationary_witness is None:
        return None
    w, point, value = proof.stationary_witness
    objective = proof.network.nodes[proof.network.objective].symbol
    shown = _value(value)
    equation = f"{partial(objective, w)} {shown}" if shown.startswith(r"\approx") else f"{partial(objective, w)} = {shown}"
    return {"equation": TeX(equation), "point": [TeX(f"${latex(k)} = {latex(v)}$") for k, v in point.items()]}


def _separations(proof) -> list[dict]:
    """The trajectory witnesses, one entry per run and step."""
    every = len(proof.invariant) * (len(proof.invariant) - 1) // 2
    return [{"lr": tex(lr), "point": [TeX(f"${latex(k)} = {latex(v)}$") for k, v in point],
             "exact": arithmetic == "exact",
             "steps": [{"step": k, "all": len(found) == every,
                        "pairs": [TeX(rf"{latex(s.first)} \ne {latex(s.second)}") for s in found[:12]],
                        "more": max(0, len(found) - 12)} for k, found in steps.items()]}
            for (lr, point, arithmetic), steps in by_run(proof.separations).items()]


def _not_separated(proof) -> list[TeX] | None:
    """Pairs of classes that no run separated (not both frozen); None: not sought."""
    if proof.open_pairs is None:
        return None
    classes = proof.invariant_classes
    params = proof.network.parameters
    return [TeX(rf"\{{{listing(params[p] for p in classes[i])}\}} and \{{{listing(params[p] for p in classes[j])}\}}")
            for i, j in proof.open_pairs][:12]


def _split(proof, split) -> dict:
    params = proof.network.parameters
    point = [TeX(f"${latex(k)} = {latex(v)}$") for k, v in split.point.items()]
    return {"first": tex(params[split.first]), "second": tex(params[split.second]), "point": point,
            "pair": [_value(v) for v in split.values]}


def _value(v) -> TeX:
    """An exact value as it is; a rigorous enclosure's midpoint to 6 digits, with ``\approx``."""
    if isinstance(v, sp.Float):
        return TeX(r"\approx " + latex(sp.Float(0 if abs(v) < 1e-30 else v, 6)))
    return tex(v)


def _induction(proof) -> dict | None:
    step = proof.step
    if step is None or step.gradients is None:
        return None
    params = proof.network.parameters
    objective = proof.network.nodes[proof.network.objective].symbol
    substituted = [params[next(c[0] for c in step.classes if p in c)] for p in range(len(params))]
    rows = block([(partials(objective, [params[p] for p in c]), step.gradients[c[0]]) for c in step.classes],
                 node_names(proof.network, substituted))
    substitution = [{"members": members([params[p] for p in c]), "symbol": tex(params[c[0]])} for c in step.classes if len(c) > 1]
    return {"rounds": len(proof.rounds), "substitution": substitution, "rows": rows}


def _convention(at_zero, proof) -> dict:
    variant = proof.network
    moving = [p for p in range(variant.parameter_count) if p not in proof.zero_gradients]
    return {"at_zero": tex(at_zero), "stationary": proof.stationary,
            "moving": [tex(variant.parameters[p]) for p in moving], "conclusion": conclusion(proof)}


def _unrolled(trajectory) -> list[dict]:
    out = []
    for t in range(1, trajectory.steps + 1):
        rows = block([(members(c), trajectory.value(t, c[0])) for c in trajectory.ties(t)])
        out.append({"step": t, "rows": rows})
    return out


def _conventions_text(conventions) -> str:
    """Which slopes at 0 leave the network stationary, in a sentence."""
    if not conventions:
        return ""
    still = [c["at_zero"] for c in conventions if c["stationary"]]
    moving = [c["at_zero"] for c in conventions if not c["stationary"]]
    if not moving:
        return r" This holds whatever the slope of ReLU at $0$."
    if not still:
        return r" The weights move whatever the slope of ReLU at $0$."
    return (r" The weights stay put if $\mathrm{relu}'(0) = %s$ and move if $\mathrm{relu}'(0) = %s$."
            % (" = ".join(still), r"$ or $\mathrm{relu}'(0) = ".join(moving)))


def _summary(section, proof) -> TeX:
    """The scenario's conclusion in plain words (prose escaped, classes as math)."""
    conventions = _conventions_text(section["conventions"])
    setting = section["init"] + (" and relu'(0) = 0 (PyTorch's relu)" if conventions else "")
    if proof.stationary:
        return TeX(escape(f"With {setting}, every gradient vanishes identically: the weights never move.")
                   + conventions)
    text = escape(f"With {section['init']}, ") + section["tied"] + "." + conventions
    narrow = [w for w in section["widths"] if w["units"] > 1 and w["distinct"] < w["units"]]
    if narrow:
        parts = [f"{w['layer']} works as if it had {w['distinct']} unit{'s' if w['distinct'] > 1 else ''} instead of {w['units']}"
                 for w in narrow]
        text += " " + escape("; ".join(parts).capitalize() + ".")
    return TeX(text)


# -- whole reports ----------------------------------------------------------------------
def example_context(example) -> dict:
    """Everything the report of an example (built-in or from a file) shows."""
    return context(study_example(example))


def network_context(net, init, data=None, steps: int = 0, engine: str = "algebraic") -> dict:
    """Everything a report on any network and initialisation shows."""
    return context(study_network(net, init, data=data, steps=steps, engine=engine))


def context(study) -> dict:
    """The report's context for its template, typeset from ``study`` (no engine runs here)."""
    scenarios = []
    for s in study.scenarios:
        section = scenario_section(s)
        section["network"] = None if s.derivation is None else network_section(s.derivation.network, s.derivation)
        scenarios.append(section)
    assets: dict[str, bytes] = {}
    analyses = [analysis(result, assets) for result in study.analyses]
    return {
        "title": study.title, "question": study.question, "summary": study.summary,
        "network": network_section(study.network, study.derivation), "derivations": derivation_section(study.derivation),
        "scenarios": scenarios, "analyses": analyses, "assets": assets,
    }
