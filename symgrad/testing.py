"""Assertions about gradients, for pytest or any test runner.

Each assertion derives the gradients exactly at an initialisation (default
``Constant("a")``, as ``symgrad.prove``) and, when it fails, raises an
``AssertionError`` that carries the evidence: both gradients, their
simplified difference and a point where they differ.  Equality is proven by
canonical form (``symgrad.proofs.equality``) and difference by a point, so an
assertion never passes on a numeric coincidence.

>>> import symgrad as sg
>>> net = sg.examples.toy()
>>> assert_gradients_equal(net, "w1", "w2", init=sg.Constant("a"))
>>> assert_tied_forever(net, [["w1", "w2"], ["w5", "w6", "w7", "w8"]])
>>> assert_gradients_equal(net, "w1", "w3")
Traceback (most recent call last):
...
AssertionError: the gradients of w1 and w3 differ (network 'toy', every weight equal to a)
  dy/dw1 = 2*a**2*x1
  dy/dw3 = 2*a**2*x2
  difference: dy/dw1 - dy/dw3 = 2*a**2*(x1 - x2)
  they differ at a = 5/7, x1 = 7, x2 = -3/5: dy/dw1 = 50/7, dy/dw3 = -30/49
"""
from __future__ import annotations

import sympy as sp

from .model.constraints import Constant, Constraint
from .present.expressions import text
from .present.phrases import derivative_label
from .proofs.classes import Classes
from .proofs.equality import decide, difference_point, is_zero, value_at
from .proofs.symmetry import prove, symbolic_gradients
from .proofs.witness import Evaluator
from .tensor.assertions import assert_no_frozen_parameters, assert_no_persistent_ties  # noqa: F401 (real models)

SIMPLIFY_OPS = 40  # sympy.simplify only below this many operations: it is slow on large expressions
SHOWN_CHARS = 1500  # longer expressions are cut in messages
STAND_IN = "tanh(z + 1/3) + z**2/5"  # the interval backend's concrete sigma (symgrad.maths.backends)


def assert_gradients_equal(net, w_a, w_b, init: Constraint | None = None, data=None) -> None:
    """Assert that ``dL/dw_a == dL/dw_b`` identically at the initial point of
    ``init``, for every value of its symbols and of the inputs."""
    __tracebackhide__ = True
    net, values, grads = _gradients(net, init, data)
    p, q = net.index_of(w_a), net.index_of(w_b)
    if decide(grads[p], grads[q]):
        return
    lines, differ = _evidence(net, values, grads, p, q)
    verdict = "differ" if differ else "are not proven equal"
    _fail(f"the gradients of {net.param_name(p)} and {net.param_name(q)} {verdict}", net, init, lines)


def assert_gradients_differ(net, w_a, w_b, init: Constraint | None = None, data=None) -> None:
    """Assert that ``dL/dw_a`` and ``dL/dw_b`` differ at the initial point of
    ``init``: passes only when a point proves the difference."""
    __tracebackhide__ = True
    net, values, grads = _gradients(net, init, data)
    p, q = net.index_of(w_a), net.index_of(w_b)
    lines, differ = _evidence(net, values, grads, p, q)
    if differ:
        return
    verdict = "are equal" if decide(grads[p], grads[q]) else "are not proven different"
    _fail(f"the gradients of {net.param_name(p)} and {net.param_name(q)} {verdict}", net, init, lines)


def assert_tied_forever(net, groups, init: Constraint | None = None, data=None) -> None:
    """Assert that the weights of each group stay equal for every step of
    gradient descent, every learning rate and every input: each group lies
    in one invariant class of ``symgrad.prove(net, init)``, or its members
    are frozen (they never move) and start equal.  ``groups`` is a list
    of groups of names (or one group)."""
    __tracebackhide__ = True
    proof = prove(net, _init(init), data=data)
    net, values = proof.network, proof.initial_values
    owner = {p: k for k, c in enumerate(proof.invariant_classes) for p in c}
    frozen = set(proof.frozen_parameters or ())
    for group in _groups(groups):
        members = [net.index_of(w) for w in group]
        if set(members) <= frozen and len({values[p] for p in members}) == 1:
            continue  # they never move
        apart = [q for q in members if owner[q] != owner[members[0]]]
        if apart:
            verdict, lines = _why_apart(proof, members[0], apart[0])
            lines.append("  invariant classes: " + " ".join("{" + ", ".join(map(str, c)) + "}" for c in proof.invariant))
            _fail(" = ".join(net.param_name(p) for p in members) + verdict, net, init, lines)


def assert_stationary(net, init: Constraint, data=None) -> None:
    """Assert that every gradient vanishes identically at the initial point of
    ``init``, so no optimiser ever moves the weights."""
    __tracebackhide__ = True
    net, values, grads = _gradients(net, init, data)
    moving = [p for p, g in enumerate(grads) if not is_zero(g)]
    if not moving:
        return
    lines = []
    for p in moving[:3]:
        lines += _evidence(net, values, grads, p, None)[0]
    if len(moving) > 3:
        lines.append(f"  ... and {len(moving) - 3} more")
    _fail(f"not a stationary point: {len(moving)} of {net.parameter_count} gradients are not proven zero", net, init, lines)


# -- gathering the evidence --------------------------------------------------
def _init(init) -> Constraint:
    return init if init is not None else Constant("a")


def _gradients(net, init, data):
    """The network with its data, the initial values and the exact gradients there."""
    net = net.with_data(data) if data else net
    values = _init(init).values(net)
    return net, values, symbolic_gradients(net, values)


def _groups(groups) -> list:
    groups = list(groups)
    if all(isinstance(g, (str, sp.Symbol, int)) for g in groups):
        return [groups]
    return groups


def _label(net, p) -> str:
    return derivative_label(net.nodes[net.objective].symbol, net.param_name(p))


def simplified(e: sp.Expr) -> sp.Expr:
    """``e`` simplified: 0 when a canonical form proves it, else the shorter
    of its common factors pulled out and (on small expressions only)
    ``sympy.simplify``.

    >>> import sympy as sp
    >>> a, x = sp.symbols("a x")
    >>> simplified(a*(x + 1) - a*x - a), simplified(a**2*x + a**2*x - 2*a**2)
    (0, 2*a**2*(x - 1))
    """
    if is_zero(e):
        return sp.S.Zero
    candidates = [sp.factor_terms(e)]
    if sp.count_ops(e) <= SIMPLIFY_OPS:
        candidates.append(sp.factor(sp.simplify(e)))
    return min(candidates, key=sp.count_ops)


def _point(net, values, grads, p, q) -> tuple[dict, tuple] | None:
    """A point where gradient ``p`` differs from gradient ``q`` (from 0 when
    ``q`` is None), with the two values there."""
    other = grads[q] if q is not None else sp.S.Zero
    point = difference_point(grads[p], other)
    if point is not None:
        return point, (value_at(grads[p], point), value_at(other, point))
    evaluator = Evaluator(net, values)  # exact or interval values, a stand-in for an undefined sigma
    found = evaluator.nonzero(p) if q is None else evaluator.differ(p, q)
    if found is None:
        return None
    shown = evaluator.show(found.gradients[p]), evaluator.show(found.gradients[q]) if q is not None else sp.S.Zero
    return found.exact, shown


def _evidence(net, values, grads, p, q) -> tuple[list[str], bool]:
    """Lines showing gradient ``p`` against gradient ``q`` (or against 0), and
    whether a point proves them different."""
    lines = [f"  {_label(net, p)} = {_shown(grads[p])}"]
    if q is not None:
        difference = simplified(grads[p] - grads[q])
        lines.append(f"  {_label(net, q)} = {_shown(grads[q])}")
        lines.append(f"  difference: {_label(net, p)} - {_label(net, q)} = {_shown(difference)}")
        if difference == 0:
            return lines + ["  equal: the difference is 0 by canonical form, for every value of every symbol"], False
    found = _point(net, values, grads, p, q)
    if found is None:
        return lines + ["  no point found where they differ, and no canonical form proves them equal: undecided"], False
    point, (vp, vq) = found
    where = ", ".join(f"{s} = {v}" for s, v in sorted(point.items(), key=lambda kv: str(kv[0])))
    if q is None:
        lines.append(f"  not zero at {where}: {_label(net, p)} = {_number(vp)}")
    else:
        lines.append(f"  they differ at {where}: {_label(net, p)} = {_number(vp)}, {_label(net, q)} = {_number(vq)}")
    if any(n.activation.name == "sigma" for n in net.nodes) and any(v.is_Float for v in (vp, vq)):
        lines.append(f"  (values with sigma(z) = {STAND_IN}: an activation for which the claim fails)")
    return lines, True


def _shown(e: sp.Expr) -> str:
    shown = text(e)
    if len(shown) <= SHOWN_CHARS:
        return shown
    return f"{shown[:SHOWN_CHARS]} ... ({len(shown)} characters in all)"


def _number(v) -> str:
    return str(v) if v.is_Rational else str(sp.N(v, 15))


def _why_apart(proof, p: int, q: int) -> tuple[str, list[str]]:
    """Why parameters ``p`` and ``q`` end in different invariant classes:
    the verdict and the evidence."""
    net = proof.network
    values = list(proof.initial_values)
    if values[p] != values[q]:
        return " is not tied: they start apart", [f"  {net.param_name(p)} = {values[p]}, {net.param_name(q)} = {values[q]}"]
    if not any(p in c and q in c for c in proof.at_init_classes):
        lines, differ = _evidence(net, values, symbolic_gradients(net, values), p, q)
        verdict = " is not tied forever" if differ else " is not proven tied forever"
        return verdict, ["  their gradients at the initial point:", *lines]
    k, r = next((k, r) for k, r in enumerate(proof.rounds, 1)
                if any(p in c and q in c for c in r.classes) and not any(p in c and q in c for c in r.result))
    tied = " ".join("{" + ", ".join(map(net.param_name, c)) + "}" for c in r.classes if len(c) > 1)
    substitution = Classes(r.classes).representatives(net.parameters)
    grads = list(r.gradients) if r.gradients is not None else symbolic_gradients(net, substitution)
    lines, _ = _evidence(net, substitution, grads, p, q)
    return " is not proven tied forever", [
        "  their gradients agree at the initial point, but not at every point where the weights agree",
        f"  within {tied} (round {k} of the refinement), so the induction over steps fails:", *lines]


def _fail(headline: str, net, init, lines: list[str]) -> None:
    __tracebackhide__ = True
    context = f"network {net.name!r}, {_init(init).describe()}{_init(init).bias_phrase(net)}"
    if len(net.samples) > 1:
        context += f", summed over {len(net.samples)} samples"
    raise AssertionError("\n".join([f"{headline} ({context})", *lines]))
