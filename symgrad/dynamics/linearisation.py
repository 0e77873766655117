"""Nearly identical units: does a small difference between two units grow or
shrink under gradient descent?

Swapping two units of a layer (two neurons, or two convolution filters with
all their positions) permutes the parameters by an involution ``P``; where the
graph is symmetric under the swap, the objective is too: ``L(Pw) = L(w)``.
At a tied point ``w = Pw`` the gradient-descent map ``T(w) = w - lr grad L(w)``
has the Jacobian ``J = I - lr H`` (``H`` the exact Hessian), and ``J``
commutes with ``P``, so it maps the antisymmetric subspace ``{v : Pv = -v}``
(differences between the two units) into itself.  In the basis
``e_p - e_P(p)``, one for each swapped pair ``p < P(p)``, the restriction is
``A[l, k] = J[p_l, p_k] - J[p_l, P(p_k)]``: near the tied point one step
multiplies a small difference ``d`` by ``A``, so it grows in some direction
when ``max |lambda(A)| > 1`` and shrinks in every direction when
``max |lambda(A)| < 1``.  ``J`` is symmetric and the basis orthogonal, so
``A`` is symmetric and its eigenvalues are real.

>>> from symgrad import Network, unit_swap
>>> net = Network.mlp([1, 2, 1], activation="tanh", objective="squared_error")
>>> swap = unit_swap(net, "y1", "y2")
>>> str(swap)
'w1 <-> w2, w3 <-> w4'
>>> point = {"w1": 1, "w2": 1, "w3": 1, "w4": 1}
>>> lin = linearise(net, point, swap, lr="1/10", data=[{"x1": 1, "t": 0}])
>>> lin.verdict, lin.spectral_radius > 1
('grows', True)
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import mpmath
import sympy as sp

from ..base.errors import SymgradError
from ..base.printable import Printable
from ..base.values import to_expr
from ..maths.backends import SYMBOLIC
from ..maths.backprop import gradients_over
from ..model.graph import Network
from ..model.swaps import Swap, point_values
from ..proofs.equality import value_at

DIGITS = 30
EIGEN_TOLERANCE = sp.Float(10) ** -20   # eigenvalues (30 digits) this close to 1 or -1 count as 1 or -1
TOLERANCE = sp.Float(10, DIGITS) ** -25  # below this, a 30-digit value is not told from 0 (or 1)


@dataclass(frozen=True, repr=False)
class Linearisation(Printable):
    """The gradient-descent map at a tied point, restricted to differences
    between the two units.

    ``basis`` lists the pairs ``(p, P(p))`` whose ``e_p - e_P(p)`` span the
    antisymmetric subspace; ``matrix`` is ``A`` in that basis (exact where
    every entry is rational, else 30-digit floats); ``eigenvalues`` are real
    (``A`` is symmetric), ascending; ``verdict`` is ``grows`` (spectral radius
    above 1), ``shrinks`` (below 1) or ``neutral``.
    """

    network: Network
    swap: Swap
    point: tuple
    lr: sp.Expr
    basis: tuple[tuple[int, int], ...]
    matrix: sp.ImmutableMatrix
    eigenvalues: tuple[sp.Float, ...]
    spectral_radius: sp.Float
    verdict: str
    exact: bool

    @property
    def unit_eigenvalues(self) -> int:
        """How many eigenvalues are 1 (to ``EIGEN_TOLERANCE``): flat directions, where a difference stays."""
        return sum(1 for v in self.eigenvalues if abs(v - 1) < EIGEN_TOLERANCE)

    @property
    def saddle(self) -> bool:
        """An eigenvalue above 1: ``lambda = 1 - lr h > 1`` means ``h < 0``, negative curvature, so some
        difference grows at any learning rate."""
        return any(v > 1 + EIGEN_TOLERANCE for v in self.eigenvalues)

    @property
    def overshoots(self) -> bool:
        """An eigenvalue below -1: ``lr h > 2``, the step jumps over the minimum."""
        return any(v < -(1 + EIGEN_TOLERANCE) for v in self.eigenvalues)

    @property
    def directions(self) -> list[tuple[sp.Symbol, sp.Symbol]]:
        """The basis as pairs of parameter symbols."""
        params = self.network.parameters
        return [(params[p], params[q]) for p, q in self.basis]


def linearise(net: Network, point: Mapping, swap: Swap, lr, data=None) -> Linearisation:
    """Linearise ``T(w) = w - lr grad L(w)`` at the tied ``point`` and restrict
    it to the antisymmetric subspace of ``swap``.

    ``point`` gives every parameter a number and must be fixed by the swap;
    the gradient is summed over ``data`` (or the network's samples), whose
    inputs and targets must be numbers.  The Hessian comes from the exact
    gradients by ``sympy.diff``, then the point is substituted.

    >>> from symgrad import Network, unit_swap
    >>> net = Network.mlp([1, 2, 1], objective="squared_error")
    >>> lin = linearise(net, dict.fromkeys(["w1", "w2", "w3", "w4"], 1), unit_swap(net, "y1", "y2"),
    ...                 lr="1/2", data=[{"x1": 1, "t": 1}])
    >>> lin.matrix, lin.verdict
    (Matrix([
    [   1, -1/2],
    [-1/2,    1]]), 'grows')
    """
    net = net.with_data(data) if data else net
    if swap.network.parameters != net.parameters or len(swap.nodes) != len(net.nodes):
        raise SymgradError(f"the swap was built for {swap.network.name!r}, not for {net.name!r}")
    if not swap.pairs:
        raise SymgradError(f"the swap {swap.units} exchanges no parameters")
    values = point_values(net, point)
    for p, q in swap.pairs:
        if (values[p] - values[q]).is_zero is not True:
            raise SymgradError(f"the point is not tied: {net.param_name(p)} = {values[p]} but "
                               f"{net.param_name(q)} = {values[q]}")
    lr = to_expr(lr)
    if not (lr.is_number and lr.is_positive):
        raise SymgradError(f"the learning rate must be a positive number, got {lr}")
    matrix = _restricted(net, swap, values, lr)
    exact = all(e.is_Rational for e in matrix)
    eigenvalues = _eigenvalues(matrix)
    radius = max(abs(e) for e in eigenvalues)
    verdict = _exact_verdict(matrix) if exact else _numeric_verdict(radius)
    return Linearisation(net, swap, tuple(values), lr, swap.pairs, matrix, eigenvalues, radius, verdict, exact)


def _restricted(net: Network, swap: Swap, values: list, lr: sp.Expr) -> sp.ImmutableMatrix:
    """``A[l, k] = delta_lk - lr (H[p_l, p_k] - H[p_l, P(p_k)])`` at the point."""
    params = net.parameters
    grads = gradients_over(net, SYMBOLIC, params, net.samples)
    at = dict(zip(params, values))
    pairs = swap.pairs

    def entry(l: int, k: int) -> sp.Expr:
        g, (p, q) = grads[pairs[l][0]], pairs[k]
        expr = (int(l == k) - lr * (sp.diff(g, params[p]) - sp.diff(g, params[q]))).xreplace(at)
        value = value_at(expr, {}, DIGITS)
        if value is None:
            free = sorted(map(str, expr.free_symbols)) or [str(expr)]
            raise SymgradError(f"the Jacobian at the point still depends on {free[0]}: give numeric data")
        return value

    return sp.ImmutableMatrix(len(pairs), len(pairs), entry)


def _eigenvalues(matrix: sp.ImmutableMatrix) -> tuple[sp.Float, ...]:
    """The real eigenvalues of the symmetric ``matrix``, ascending, to 30 digits."""
    asymmetry = max((abs(sp.N(matrix[i, j] - matrix[j, i], DIGITS)) for i in range(matrix.rows) for j in range(i)),
                    default=0)
    if asymmetry > TOLERANCE:
        raise SymgradError(f"the restricted Jacobian is not symmetric (off by {asymmetry}): the loss is not swap-invariant")
    with mpmath.workdps(DIGITS + 10):
        m = mpmath.matrix([[mpmath.mpf(str(sp.N(matrix[i, j], DIGITS + 10))) for j in range(matrix.cols)]
                           for i in range(matrix.rows)])
        found = mpmath.eigsy((m + m.T) / 2, eigvals_only=True)
        return tuple(sorted(sp.Float(mpmath.nstr(e, DIGITS + 5), DIGITS) for e in found))


def _exact_verdict(matrix: sp.ImmutableMatrix) -> str:
    """Decided exactly: radius < 1 iff ``I - A`` and ``I + A`` are positive definite."""
    eye = sp.eye(matrix.rows)
    below, above = eye - matrix, eye + matrix
    if below.is_positive_definite and above.is_positive_definite:
        return "shrinks"
    if below.is_positive_semidefinite and above.is_positive_semidefinite:
        return "neutral"
    return "grows"


def _numeric_verdict(radius: sp.Float) -> str:
    if abs(radius - 1) <= TOLERANCE:
        return "neutral"
    return "grows" if radius > 1 else "shrinks"
