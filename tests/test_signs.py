"""Sign and case reasoning for piecewise functions (``equality._zero_by_signs``).

A proof of zero is checked here by exact evaluation at rational points,
including the points where an argument is 0 (where Heaviside's value at 0
and the branches of Max meet): SymPy evaluates each point on its own, sharing
nothing with the case split.
"""
import itertools

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symgrad.proofs.equality import _zero_by_signs, is_zero

z, u = sp.symbols("z u")
H = sp.Heaviside
POINTS = [sp.Rational(p) for p in ("-3", "-1", "-1/2", "0", "1/3", "1", "2")]


def zero_everywhere(e) -> bool:
    """``e`` is exactly 0 at every pair of points (z, u) from POINTS."""
    return all(sp.simplify(e.subs({z: a, u: b})) == 0 for a, b in itertools.product(POINTS, POINTS))


@pytest.mark.parametrize("identity", [
    z * H(z, 0) - sp.Max(0, z),
    sp.Max(0, z) - sp.Max(0, -z) - z,
    sp.Abs(z) - sp.Max(z, -z),
    H(z, 0) * H(-z, 0),
    sp.Max(0, z) - z * H(z, 1),
    H(3 * z, 0) - H(z, 0),                       # a positive multiple is the same condition
    sp.Max(0, sp.Max(0, z)) - sp.Max(0, z),       # nested: innermost first
    u * (sp.Max(0, z) - z * H(z, 0)),
    sp.sign(z) * sp.Abs(z) - z,
    H(-1 / (1 + sp.exp(-z)), 0) * z,             # a dead ReLU: the argument is negative
])
def test_identities_are_proven_and_true(identity):
    assert zero_everywhere(identity)
    assert is_zero(identity) is True
    assert identity == 0 or _zero_by_signs(identity) is True   # SymPy itself may see it (Heaviside(3z) = Heaviside(z))


@pytest.mark.parametrize("other", [
    H(z, sp.Rational(1, 2)) * H(-z, sp.Rational(1, 2)),   # 1/4 at z = 0
    sp.Max(0, z) - z,
    H(z, 0) - H(u, 0),
    sp.Max(0, z) * sp.Max(0, u) - sp.Max(0, z * u),
    sp.Abs(z) - z,
])
def test_non_identities_are_never_proven(other):
    assert not zero_everywhere(other)
    assert _zero_by_signs(other) is None


ATOMS = [z, u, -z, 2 * z, z - u, u - z, z + u, sp.S.One]
pieces = st.sampled_from(ATOMS).flatmap(lambda a: st.sampled_from(
    [H(a, 0), H(a, 1), sp.Max(0, a), sp.Min(0, a), sp.Abs(a), sp.sign(a), a]))
expressions = st.lists(st.tuples(st.integers(-2, 2), pieces, pieces), min_size=1, max_size=4).map(
    lambda terms: sp.Add(*[c * p * q for c, p, q in terms]))


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_a_proof_of_zero_holds_at_every_point(e):
    if _zero_by_signs(e) is True:
        assert zero_everywhere(e), e


@settings(max_examples=200, deadline=None)
@given(pieces, pieces)
def test_a_difference_and_its_own_terms_cancel(p, q):
    """``p*q - q*p`` written through the cases: always proven (completeness on what is 0 by algebra)."""
    assert is_zero(sp.expand(p * q) - q * p) is True


@pytest.mark.parametrize("z", [75, -80, 300, 0, sp.Rational(1, 3)])
def test_saturated_slopes_are_enclosed_tightly_and_away_from_zero(z):
    """tanh'(75) = 1 - tanh(75)**2 is about 3e-65: 60 digits of 1 - y**2 cannot
    tell it from 0, so every gradient through a saturated unit would be
    undecided.  The interval backend's slopes enclose the true value (mpmath at
    200 digits, the textbook formulas) and exclude 0."""
    import mpmath

    from symgrad.maths.backends import INTERVAL as I

    mp = mpmath.mp.clone()
    mp.dps = 200
    x = I.number(sp.Rational(z))
    exact = {"tanh": mp.sech(mp.mpf(sp.Rational(z).p) / sp.Rational(z).q) ** 2,
             "sigmoid": mp.exp(-mp.mpf(sp.Rational(z).p) / sp.Rational(z).q)
             / (1 + mp.exp(-mp.mpf(sp.Rational(z).p) / sp.Rational(z).q)) ** 2}
    for name, enclosure in (("tanh", I.tanh_slope(x, I.tanh(x))), ("sigmoid", I.sigmoid_slope(x, None))):
        low, high = (mp.make_mpf(end) for end in enclosure._mpi_)
        assert 0 < low <= exact[name] <= high, name
        assert high - low <= low * mp.mpf(10) ** -50
