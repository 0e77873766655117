"""What a report is about, computed once: the study of an example or a network.

A ``Study`` holds every result the report shows (the derivation, one proof
per scenario with its effective widths, the proofs under other ReLU slopes
at 0, unrolled steps, and the results of the example's analyses) as the
engines return them; ``symgrad.report.content`` then typesets it without
running an engine again.  Each proof is computed once: an analysis of the
first scenario reads that scenario's proof.

>>> from symgrad import examples
>>> study = study_example(examples.example("toy"))
>>> [(s.proof.init.describe(), s.proof.stationary) for s in study.scenarios]
[('every weight equal to a', False), ('every weight 0', True)]
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..base.errors import SymgradError
from ..dynamics.linearisation import linearise
from ..dynamics.perceptron import learning_rate_counterexample, learning_rate_theorem
from ..dynamics.quotients import effective_width, quotient
from ..dynamics.training import train
from ..dynamics.unrolling import unroll
from ..maths.derivation import Derivation, derive
from ..model.activations import relu
from ..model.size import check_report_size
from ..model.swaps import unit_swap
from ..proofs.records import Proof
from ..proofs.symmetry import prove
from ..specs.examples import LearningRate, Linearise, Quotient, Trace


@dataclass(frozen=True)
class ScenarioStudy:
    """One scenario: its proof, the effective widths under it, the proofs
    under other slopes of ReLU at 0, and its unrolled steps (if asked)."""

    proof: Proof
    title: str = ""
    remark: str = ""
    widths: tuple = ()
    conventions: tuple = ()           # (slope at 0, proof) for each slope compared
    trajectory: object = None         # the unrolled steps, or None
    derivation: Derivation | None = None   # the scenario's own network, derived (None: the example's)


@dataclass(frozen=True)
class Study:
    """Everything a report shows, as the engines computed it."""

    title: str
    question: str
    summary: str
    derivation: Derivation
    scenarios: tuple[ScenarioStudy, ...]
    analyses: tuple = field(default=())   # the analyses' results, in the example's order

    @property
    def network(self):
        return self.derivation.network


@dataclass(frozen=True)
class QuotientStudy:
    """The quotient network under the first scenario's ties, and its derivation."""

    quotient: object
    derivation: Derivation


@dataclass(frozen=True)
class TraceStudy:
    """A float64 training run from the first scenario's initialisation."""

    trace: object
    proof: Proof
    steps: int


@dataclass(frozen=True)
class LineariseStudy:
    """Gradient descent linearised at a tied point, at each learning rate."""

    network: object
    swap: object
    runs: tuple
    data: tuple


@dataclass(frozen=True)
class LearningRateStudy:
    """The learning-rate theorem, and a counterexample (from nonzero weights
    where it applies; from zero init where it does not, if one is found)."""

    theorem: object
    counterexample: object


def study_scenario(net, init, title: str = "", remark: str = "", data=None, conventions=(), steps: int = 0,
                   engine: str = "algebraic", derivation: Derivation | None = None) -> ScenarioStudy:
    """Prove one scenario and compute what its section shows."""
    proof = prove(net, init, engine=engine, data=data)
    variants = [(h0, prove(proof.network.with_activation("relu", relu(h0)), init)) for h0 in conventions]
    return ScenarioStudy(proof, title, remark, tuple(effective_width(proof)), tuple(variants),
                         unroll(proof.network, init, steps=steps) if steps else None, derivation)


def study_example(example) -> Study:
    """The study of an example (built-in or from a file): its scenarios, then its analyses."""
    net = example.build()
    scenarios = []
    for s in example.scenarios:
        target = s.network() if s.network else net
        data = s.data(target) if s.data else None
        scenarios.append(study_scenario(target, s.init, s.title, s.remark, data, s.conventions, s.unroll,
                                        derivation=derive(target) if s.network else None))
    first = scenarios[0].proof if scenarios and example.scenarios[0].network is None else None
    analyses = tuple(_analysis(spec, example, first) for spec in example.analyses)
    return Study(example.title or default_title(example.name), example.question, example.summary, derive(net),
                 tuple(scenarios), analyses)


def study_network(net, init, data=None, steps: int = 0, engine: str = "algebraic") -> Study:
    """The study of any network under one initialisation."""
    check_report_size(net)
    scenario = study_scenario(net, init, data=data, steps=steps, engine=engine)
    return Study(default_title(net.name), "", net.description, derive(net), (scenario,))


def default_title(name: str) -> str:
    """A report's title when its description gives none (prose: escaped by the template)."""
    return f"What gradient descent keeps equal in {name}"


def _analysis(spec, example, first: Proof | None):
    if isinstance(spec, (Quotient, Trace)):
        if first is None:
            scenario, net = example.scenarios[0], example.build()
            first = prove(net, scenario.init, data=scenario.data(net) if scenario.data else None)
        if isinstance(spec, Quotient):
            q = quotient(first)
            return QuotientStudy(q, derive(q.network))
        return TraceStudy(train(first.network, first.init, steps=spec.steps, seed=1), first, spec.steps)
    net = example.build()
    if isinstance(spec, Linearise):
        swap = unit_swap(net, *spec.units)
        return LineariseStudy(net, swap, tuple(linearise(net, spec.point, swap, lr, data=spec.data) for lr in spec.lrs),
                              spec.data)
    assert isinstance(spec, LearningRate), spec
    theorem = learning_rate_theorem(net, steps=spec.steps)
    if theorem.applies:
        return LearningRateStudy(theorem, learning_rate_counterexample(net))
    try:
        found = learning_rate_counterexample(net, steps=4, zero_init=True)
    except SymgradError:
        found = None
    return LearningRateStudy(theorem, found)
