"""Algebraic symmetry proofs: which gradients coincide, and for how long.

``prove(net, init)`` substitutes the initialisation and returns a ``Proof``:

1. **At the initial point**, parameters are grouped by identical gradient
   (summed over the data), each equality proven by canonical form and each
   difference by a point (``symgrad.proofs.partition``).
2. **Invariant ties**: start from the initial ties (parameters with the
   same initial value), give each class one symbol (its first member's),
   compute the gradients, split classes whose members' gradients differ, and
   repeat until nothing splits.  At the fixpoint the induction is complete:
   *if* parameters agree within classes, so do their gradients, so a step of
   gradient descent keeps them agreeing, for every learning rate and every
   input; the initialisation agrees; hence forever.  Any tie-preserving
   partition finer than the initial ties is finer than every round's, so the
   fixpoint is the coarsest one.
3. **Stationary point**: proven when every gradient vanishes identically at
   the initial point (nothing ever moves), refuted by a point where some
   gradient is not 0 (``stationary_witness``), else undecided (None).
4. **Frozen parameters** (``symgrad.proofs.frozen``): the greatest set that never
   moves, whatever the others do.
5. **Separations** (``symgrad.proofs.trajectory``): for pairs of invariant classes,
   a run of gradient descent from the initial point where they differ; pairs
   without one are "not shown to separate".

>>> from symgrad import examples, Constant, Zero
>>> proof = prove(examples.toy(), Constant("a"))
>>> proof.invariant
[(w1, w2), (w3, w4), (w5, w6, w7, w8), (w9, w10)]
>>> prove(examples.toy(), Zero()).stationary
True
"""
from __future__ import annotations

from ..base.errors import SymgradError
from ..base.progress import note, phase
from ..maths.backends import SYMBOLIC
from ..maths.backprop import gradients_over
from ..model.constraints import Constant, Constraint
from ..model.size import check_size
from ..specs.examples import as_network
from .classes import Classes
from .equality import is_zero
from .frozen import frozen_parameters
from .partition import split
from .records import Proof, Round
from .structural import prove_structural
from .trajectory import separations
from .witness import Evaluator

ENGINES = ("algebraic", "structural")
GRADIENTS_KEPT = 500  # beyond this many parameters, gradients at the initial point are not kept


def prove(network, init: Constraint | None = None, engine: str = "algebraic", data=None, seed: int = 0,
          max_size: int | None = None) -> Proof:
    """Prove which gradients of ``network`` coincide under ``init`` (default
    ``Constant("a")``, or the initialisation a description or an imported
    torch model carries) and which ties last forever; ``data`` (a list of
    samples, see ``symgrad.model.data``) sums the gradient over several samples.
    The algebraic engine refuses networks beyond ``max_size`` (default
    ``symgrad.base.limits.ALGEBRAIC_LIMIT``; see ``symgrad.model.size.work_size``)."""
    init = init if init is not None else getattr(network, "init", None)   # a description's, an imported model's
    network = as_network(network, "sg.prove")
    phase("proving", f"proving the ties of {network.name} ({network.parameter_count:,} parameters, {engine} engine)")
    init = init if init is not None else Constant("a")
    if not isinstance(init, Constraint):
        raise SymgradError(f"{init!r} is not an initialisation (Constant, Zero, Distinct, Tied or PerLayer)")
    net = network.with_data(data) if data else network
    values = init.values(net)
    base = Classes.by_value(values)
    if engine == "structural":

        return prove_structural(net, init, values, base)
    if engine != "algebraic":
        raise SymgradError(f"unknown engine {engine!r}: choose one of {', '.join(ENGINES)}")
    check_size(net, max_size)
    note(f"gradients at the initial point: {net.parameter_count:,} parameters")
    at_init = _at_init(net, values, seed)
    rounds = _refine(net, base, seed)
    note("frozen parameters and trajectory witnesses")
    frozen = frozen_parameters(net, values, at_init["zeros"], seed)
    separated, apart = separations(net, values, rounds[-1].result, seed)
    return Proof(
        network=net, init=init, engine="algebraic", initial_values=tuple(values), base=base,
        at_init_classes=at_init["classes"], invariant_classes=rounds[-1].result,
        stationary=at_init["stationary"], stationary_witness=at_init["moving"],
        at_init_gradients=at_init["gradients"], at_init_splits=at_init["splits"], rounds=tuple(rounds),
        undecided=at_init["undecided"], zero_gradients=at_init["zeros"], notes=at_init["notes"],
        frozen_parameters=frozen, separations=separated, not_separated=apart,
    )


def symbolic_gradients(net, params) -> list:
    """Exact gradients at parameter values ``params``, summed over the data."""
    return gradients_over(net, SYMBOLIC, params, net.samples)


def _at_init(net, values, seed) -> dict:
    evaluator = Evaluator(net, values, seed=seed)
    cache: list = []

    def grads():
        if not cache:
            cache.append(symbolic_gradients(net, values))
        return cache[0]

    classes, splits, undecided = split((tuple(range(net.parameter_count)),), evaluator, grads)
    zeros, unknown, moving = [], [], None
    for p in range(net.parameter_count):
        point = evaluator.nonzero(p)
        if point is not None:
            moving = moving or (net.parameters[p], point.exact, evaluator.show(point.gradients[p]))
        elif is_zero(grads()[p]):
            zeros.append(p)
        else:
            unknown.append(p)
    # stationary: proven (every gradient zero), refuted (a point where one is not), or undecided (None)
    stationary = True if len(zeros) == net.parameter_count else False if moving else None
    notes = ()
    if unknown:
        notes = (f"{len(unknown)} gradients are zero at every sampled point but no canonical form proves it",)
    gradients = tuple(grads()) if net.parameter_count <= GRADIENTS_KEPT else None
    return {"classes": classes, "splits": splits, "undecided": undecided, "gradients": gradients,
            "stationary": stationary, "moving": moving, "zeros": tuple(zeros), "notes": notes}


def _refine(net, base, seed) -> list[Round]:
    """Refine ``base`` until gradients agree within every class."""
    params = net.parameters
    rounds: list[Round] = []
    classes = base
    while True:
        substitution = Classes(classes).representatives(params)
        evaluator = Evaluator(net, substitution, seed=seed + len(rounds))
        cache: list = []

        def symbolic():
            cache.append(symbolic_gradients(net, substitution))
            return cache[-1]

        note(f"refining ties: round {len(rounds) + 1}, {len(classes):,} class{'es' if len(classes) != 1 else ''}")
        if all(len(c) == 1 for c in classes):
            rounds.append(Round(classes, None, classes))
            return rounds
        result, splits, undecided = split(classes, evaluator, symbolic)
        rounds.append(Round(classes, tuple(cache[-1]) if cache else None, result, splits, undecided))
        if result == classes:
            return rounds
        classes = result
