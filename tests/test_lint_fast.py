"""The structural fast paths of the tensor lint give the same partitions as the general paths."""

import copy

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from symgrad.tensor import grid_sums  # noqa: E402
from symgrad.tensor import kernels as K  # noqa: E402
from symgrad.tensor import lint  # noqa: E402
from symgrad.maths.keys import argsort_u64  # noqa: E402
from symgrad.maths.palette import ONE, Palette, ZERO  # noqa: E402


def partition(a):
    """The partition of the positions of ``a`` by colour, as a set of frozensets."""
    flat = a.ravel()
    groups = {}
    for i, c in enumerate(flat.tolist()):
        groups.setdefault(c, []).append(i)
    return {frozenset(g) for g in groups.values()}


def _both(monkeypatch, fn):
    monkeypatch.setattr(K, "FAST", True)
    fast = fn()
    monkeypatch.setattr(K, "FAST", False)
    slow = fn()
    return fast, slow


def _case(rng, kind):
    """Colour matrices a [B, M, K], b [B, K, N]: a generic (distinct) side and an
    adversarial other side (repeated rows and columns, zeros, ONE)."""
    B, M, Kd, N = rng.integers(1, 3), rng.integers(1, 6), rng.integers(2, 6), rng.integers(1, 6)
    pal = Palette()
    consts = np.array([ZERO, ONE, pal.const(np.array([2.0]))[0], pal.const(np.array([3.0]))[0]])
    b = consts[rng.integers(0, 4, size=(B, Kd, N))]        # few colours: repeats, ZERO, ONE
    a = pal.fresh((B, M, Kd))
    if kind in ("zeros_a", "both"):
        a = np.where(rng.random(a.shape) < 0.3, ZERO, a)    # zeros on the distinct side
    if kind in ("repeat_rows", "both"):
        b[:, :, -1] = b[:, :, 0]                            # repeated columns of b
        a = np.concatenate([a, a[:, :1]], axis=1)           # a repeated row: not distinct
    if kind == "swap":
        a, b = np.swapaxes(b, 1, 2).copy(), np.swapaxes(a, 1, 2).copy()
    return pal, a, b


@pytest.mark.parametrize("kind", ["plain", "zeros_a", "repeat_rows", "both", "swap"])
def test_fast_matmul_same_partition(monkeypatch, kind):
    rng = np.random.default_rng(len(kind))
    taken = []
    real = K._fast_dot
    monkeypatch.setattr(K, "_fast_dot", lambda *a: taken.append(1) or real(*a))
    for _ in range(40):
        pal, a, b = _case(rng, kind)
        base = pal.count
        fast, slow = _both(monkeypatch, lambda: K.matmul(_copy(pal, base), a, b))
        assert partition(fast) == partition(slow)
        assert ((fast == ZERO) == (slow == ZERO)).all()
    assert kind == "repeat_rows" or taken                  # the fast path was exercised


def _copy(pal, base):
    p = Palette()
    p._grow(base - p.count)          # same fresh ids as the palette that made the inputs
    return p


def test_grid_consistent_across_calls():
    p = Palette()
    g1 = p.grid("t", np.array([5, 6, 7]), np.array([1, 2]))
    g2 = p.grid("t", np.array([7, 8]), np.array([2, 3]))
    assert g1[2, 1] == g2[0, 0]
    assert len(set(g1.ravel()) | set(g2.ravel())) == 6 + 4 - 1


def test_argsort_u64_is_a_stable_argsort():
    rng = np.random.default_rng(0)
    for n in (1, 2, 10, 1000, 100000):
        keys = rng.integers(0, 50, size=n).astype(np.uint64) << np.uint64(rng.integers(0, 60))
        keys |= rng.integers(0, 3, size=n).astype(np.uint64)   # equal high bits, different low bits
        order, sk = argsort_u64(keys)
        assert (order == np.argsort(keys, kind="stable")).all()
        assert (sk == keys[order]).all()


def _models(seed):
    torch.manual_seed(seed)
    a = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3))
    with torch.no_grad():                                   # copied units, zero rows, repeats
        a[0].weight[3] = a[0].weight[1]
        a[0].bias[3] = a[0].bias[1]
        a[2].weight[:, 3] = a[2].weight[:, 1]
        a[0].weight[4] = 0.0
    b = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 16, 2))
    with torch.no_grad():
        b[0].weight[2] = b[0].weight[0]
        b[0].bias[2] = b[0].bias[0]
    c = nn.Sequential(nn.Linear(4, 4, bias=False), nn.Tanh(), nn.Linear(4, 2))
    nn.init.constant_(c[0].weight, 0.5)
    return [(a, torch.randn(4, 5)), (b, torch.randn(2, 2, 4, 4)), (c, torch.randn(3, 4))]


@pytest.mark.parametrize("seed", [0, 1])
def test_lint_fast_and_general_agree(monkeypatch, seed):
    for model, x in _models(seed):
        fast, slow = _both(monkeypatch, lambda: lint(model, x))
        for n in fast.classes:
            assert partition(fast.classes[n]) == partition(slow.classes[n]), n
            assert (fast.frozen[n] == slow.frozen[n]).all(), n


def _refines(fine, coarse):
    """Every class of ``fine`` lies inside a class of ``coarse``."""
    owner = {}
    for group in coarse:
        for i in group:
            owner[i] = group
    return all(len({owner[i] for i in group}) == 1 for group in fine)


@pytest.mark.parametrize("kind", ["plain", "zeros_a", "repeat_rows", "both", "swap"])
def test_products_named_by_ordered_rows_are_finer_never_coarser(monkeypatch, kind):
    """Past the memory budget a product is named by its ordered rows: the partition
    refines the exact one (multisets of terms), with the same zeros."""
    rng = np.random.default_rng(10 + len(kind))
    monkeypatch.setattr(K, "FAST", False)
    for _ in range(40):
        pal, a, b = _case(rng, kind)
        base = pal.count
        exact = K.matmul(_copy(pal, base), a, b)
        monkeypatch.setattr(K, "GENERAL_BUDGET", 0)
        ordered = K.matmul(_copy(pal, base), a, b)
        monkeypatch.setattr(K, "GENERAL_BUDGET", 1 << 27)
        assert _refines(partition(ordered), partition(exact))
        assert ((ordered == ZERO) == (exact == ZERO)).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_lint_with_ordered_products_keeps_its_verdicts_on_copies(monkeypatch, seed):
    monkeypatch.setattr(K, "FAST", False)
    for model, x in _models(seed):
        exact = lint(model, x)
        monkeypatch.setattr(K, "GENERAL_BUDGET", 0)
        ordered = lint(model, x)
        monkeypatch.setattr(K, "GENERAL_BUDGET", 1 << 27)
        for n in exact.classes:
            assert _refines(partition(ordered.classes[n]), partition(exact.classes[n])), n
            assert (exact.frozen[n] == ordered.frozen[n]).all(), n
        assert [f.kind for f in exact.findings if f.kind == "tied"] == [f.kind for f in ordered.findings if f.kind == "tied"]
        assert any("ordered rows" in note for note in ordered.notes)
        assert not any("ordered rows" in note for note in exact.notes)


def _multiset_classes(a, b):
    """Classes of the entries by the multiset {a, b}, written out: numpy's unique of the sorted pairs."""
    pairs = np.sort(np.stack([a.ravel(), b.ravel()], axis=1), axis=1)
    return np.unique(pairs, axis=0, return_inverse=True)[1].ravel()


@pytest.mark.parametrize("seed", range(30))
def test_a_sum_of_two_grids_is_named_as_the_multisets_are(seed):
    """``grid_sum`` against the multisets of the two terms: equal names iff equal
    multisets, for grids of two tags whose rows and columns repeat."""
    rng = np.random.default_rng(seed)
    pal = Palette()
    m, n = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    rows, cols = pal.fresh((4,)), pal.fresh((4,))
    a = pal.grid("p", rows[rng.integers(0, 3, m)], cols[rng.integers(0, 3, n)])
    b = pal.grid("q", rows[rng.integers(0, 4, m)], cols[rng.integers(0, 2, n)])
    named = grid_sums.grid_sum(pal, a, b)
    plain = _multiset_classes(a, b)
    got = named.ravel()
    assert (plain[:, None] == plain[None, :]).tolist() == (got[:, None] == got[None, :]).tolist()
    assert np.intersect1d(got, np.concatenate([a.ravel(), b.ravel()])).size == 0   # fresh names


def test_a_sum_with_a_zero_term_or_no_grid_takes_the_general_route():
    pal = Palette()
    a = pal.grid("p", np.array([5, 6]), np.array([7, 8]))
    assert grid_sums.grid_sum(pal, a, np.where(np.eye(2, dtype=bool), ZERO, a + 100)) is None
    assert grid_sums.grid_sum(pal, a, np.array([[11, 12], [13, 11]])) is None
    assert grid_sums.grid_sum(pal, a, a.T.copy()) is not None                 # a transposed grid is a grid


def test_a_tied_embedding_through_the_grid_sum_keeps_the_plain_verdicts(monkeypatch):
    """A tied token table read by a lookup and by the head: the same classes and frozen
    entries whether its gradient sum is named by rows and columns or entry by entry."""
    torch.manual_seed(3)
    nn = torch.nn

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(7, 4)
            self.ln = nn.LayerNorm(4)

        def forward(self, idx):
            return self.ln(torch.tanh(self.wte(idx))) @ self.wte.weight.T

    model = Tied()
    with torch.no_grad():                                  # a copied row and shared values: ties to keep
        model.wte.weight[5] = model.wte.weight[2]
        model.wte.weight[:, 3] = 0.25
    idx = torch.tensor([[0, 1, 3], [4, 1, 6]])
    calls = []
    real = grid_sums.grid_sum
    monkeypatch.setattr("symgrad.tensor.interpret.GRID_SUM_MIN", 0)   # small enough for this model
    monkeypatch.setattr(grid_sums, "grid_sum", lambda *a: calls.append(real(*a)) or calls[-1])
    fast = lint(model, idx)
    assert any(c is not None for c in calls)
    monkeypatch.setattr(grid_sums, "grid_sum", lambda *a: None)
    plain = lint(model, idx)
    for n in plain.classes:
        c1, c2 = np.asarray(fast.classes[n]).ravel(), np.asarray(plain.classes[n]).ravel()
        assert ((c1[:, None] == c1[None, :]) == (c2[:, None] == c2[None, :])).all()
        assert (np.asarray(fast.frozen[n]) == np.asarray(plain.frozen[n])).all()


def test_constants_that_count_up_are_not_taken_for_a_grid(monkeypatch):
    """Two parameters, each used twice against frozen constants (whose colours are
    consecutive in value order, so they pass the additive test by accident): the sums
    must be named as their terms are, with no tie that training breaks."""
    nn = torch.nn

    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.P = nn.Parameter(torch.full((2, 2), 0.5))
            self.Q = nn.Parameter(torch.full((2, 2), 0.5))
            self.R = nn.Parameter(torch.tensor([[0.25, 0.5], [0.5, 0.75]]), requires_grad=False)
            self.S = nn.Parameter(torch.full((2, 2), 0.5), requires_grad=False)

        def forward(self, x):
            return ((self.P * self.R).sum() + (self.P * self.S).sum()
                    + (self.Q * self.S).sum() + (self.Q * self.S.T).sum() + x.sum())

    model, x = Scaled(), torch.randn(3)
    m = copy.deepcopy(model).double()
    opt = torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        m(torch.randn(3, dtype=torch.float64)).backward()
        opt.step()
    after = np.concatenate([m.P.detach().numpy().ravel(), m.Q.detach().numpy().ravel()])

    def claimed():
        r = lint(model, x)
        classes = np.concatenate([np.asarray(r.classes["P"]).ravel(), np.asarray(r.classes["Q"]).ravel()])
        for i in range(8):
            for j in range(8):
                if classes[i] == classes[j]:
                    assert after[i] == after[j]               # every claimed tie holds
        return classes
    classes = claimed()                                       # small: entry by entry, as every sum
    assert (classes[[1, 2, 4]] == classes[1]).all()          # the true tie of P[0,1], P[1,0] and Q
    monkeypatch.setattr("symgrad.tensor.interpret.GRID_SUM_MIN", 0)
    classes = claimed()                                       # by rows and columns where a grid: sound,
    assert classes[1] == classes[2]                           # and P's counting-up terms are no grid


def test_a_grid_sum_name_means_the_same_entries_in_every_call():
    """Two calls whose grids agree on a first-column and a first-row colour but not on
    their corner: the entries there differ, so their sums must be named apart."""
    pal = Palette()
    b = np.array([[100, 101], [200, 201]])
    first = grid_sums.grid_sum(pal, np.array([[10, 11], [20, 21]]), b)
    second = grid_sums.grid_sum(pal, np.array([[12, 11], [20, 19]]), b)   # entry (1, 1): 19, not 21
    assert first is not None and second is not None
    assert first[1, 1] != second[1, 1]
    again = grid_sums.grid_sum(pal, np.array([[10, 11], [20, 21]]), b)
    assert (again == first).all()                                       # the same sums, the same names
