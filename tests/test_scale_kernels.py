"""The vectorised pieces that carry the engines to millions of parameters, each
against a plain-Python computation written out here: the depth of a network,
classes by label, exact marks of rows, the
multisets of a kept grouping, the builder's bulk edges, and the structural
engine's node and parameter classes against the coarsest equitable partition
found by hand (also when every hashed row collides), and a trajectory witness
that stays bounded when exact fractions explode."""
from __future__ import annotations

import contextlib
import random

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import symgrad as sg
from symgrad.maths.palette import Palette
from symgrad.maths.refine import Grouping, dense, marks, split
from symgrad.model.size import depth
from symgrad.proofs.classes import Classes
from symgrad.proofs.structural import colour_refinement


def _longest_path(net) -> int:
    """Neurons on the longest path to the objective, by a walk in node order."""
    longest = [0] * len(net.nodes)
    sources = {j: [] for j in range(len(net.nodes))}
    for s, t in zip(net.edge_source, net.edge_target):
        sources[t].append(s)
    for j, node in enumerate(net.nodes):
        before = [longest[s] for s in sources[j]] + [longest[a] for a in node.args]
        longest[j] = max(before, default=0) + (node.kind == "neuron")
    return longest[net.objective]


def _random_network(rng: random.Random):
    sizes = [rng.randint(1, 4) for _ in range(rng.randint(2, 6))]
    objective = rng.choice(["output", "squared_error"] + (["cross_entropy"] if sizes[-1] > 1 else []))
    return sg.Network.mlp(sizes, activation=rng.choice(["identity", "tanh", "relu"]), bias=rng.random() < 0.5,
                          objective=objective)


@pytest.mark.parametrize("seed", range(40))
def test_depth_is_the_longest_path(seed):
    net = _random_network(random.Random(seed))
    assert depth(net) == _longest_path(net)
    assert depth(net, limit=1) == min(_longest_path(net), 2)


@given(st.lists(st.integers(0, 6), max_size=40))
@settings(max_examples=300, deadline=None)
def test_classes_by_label_and_by_value_group_by_first_appearance(labels):
    groups: dict = {}
    for i, v in enumerate(labels):
        groups.setdefault(v, []).append(i)
    expected = tuple(tuple(g) for g in groups.values())
    assert Classes.by_label(np.array(labels, np.int64)) == expected
    assert Classes.by_value([f"v{v}" for v in labels]) == expected
    colours = Classes(expected).colours().tolist()
    assert colours == [next(k for k, c in enumerate(expected) if i in c) for i in range(len(labels))]


@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0, 1, 2 ** 40, 2 ** 62]), st.just(5)), max_size=30),
       st.integers(0, 2))
@settings(max_examples=300, deadline=None)
def test_marks_are_equal_exactly_for_equal_rows(rows, narrow):
    """Marks of rows (a constant column left out, one narrow column as it is, wider
    rows interned) lie in [0, 2**32) and are equal iff the rows are; splitting
    classes by them is the partition by (class, row)."""
    rows = [row[:1] + row[2:] if narrow == 1 else row[:1] if narrow == 2 else row for row in rows]
    columns = [np.array(c, np.int64) for c in zip(*rows)] or [np.zeros(0, np.int64)]
    got = marks(Palette(), "m", columns)
    assert len(got) == len(rows) and ((got >= 0) & (got < 2 ** 32)).all()
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (got[i] == got[j]) == (rows[i] == rows[j])
    classes = np.array([i % 2 for i in range(len(rows))], np.int64)
    new, _ = split(classes, got)
    for i in range(len(rows)):
        for j in range(len(rows)):
            assert (new[i] == new[j]) == ((i % 2, rows[i]) == (j % 2, rows[j]))


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3)), max_size=40))
@settings(max_examples=300, deadline=None)
def test_a_kept_grouping_colours_each_multiset(members):
    n = 6
    targets = np.array([t for t, _ in members], np.int64)
    values = np.array([v + 10 for _, v in members], np.int64)
    colours = Grouping(targets, n).multisets(Palette(), "m", values, single=False)
    bags = [tuple(sorted(v + 10 for t, v in members if t == slot)) for slot in range(n)]
    for a in range(n):
        assert (colours[a] == 0) == (bags[a] == ())
        for b in range(n):
            assert (colours[a] == colours[b]) == (bags[a] == bags[b])


@given(st.lists(st.tuples(st.sampled_from([0, 3, 7, 2 ** 30]), st.sampled_from([0, 1, 5, 2 ** 32 - 1])), max_size=40))
@settings(max_examples=300, deadline=None)
def test_a_split_is_the_partition_by_class_and_mark(members):
    classes = np.array([c for c, _ in members], np.int64)
    marks = np.array([m for _, m in members], np.uint64)
    new, more = split(classes, marks)
    assert more == len(set(members)) - len(set(c for c, _ in members))
    for i in range(len(members)):
        for j in range(len(members)):
            assert (new[i] == new[j]) == (members[i] == members[j])
    assert (new < 2 ** 31).all() and (new >= 0).all()


@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, 0.5, -2.0, 3.25, 1e-30, np.nan]), max_size=40))
@settings(max_examples=300, deadline=None)
def test_constants_sorted_or_not_get_one_name_per_value(values):
    """A batch already in key order skips the sort; names agree with every other batch."""
    pal = Palette()
    distinct = np.unique(np.array(values + [0.5], np.float64))
    first = pal.const(distinct)                      # in key order for non-negative values
    again = pal.const(np.array(values + [0.5]))
    key = lambda v: "nan" if v != v else float(v) + 0.0
    for i, v in enumerate(values + [0.5]):
        for j, w in enumerate(values + [0.5]):
            assert (again[i] == again[j]) == (key(v) == key(w))
        match = [k for k, u in enumerate(distinct) if key(u) == key(v)]
        assert again[i] == first[match[0]]


@given(st.lists(st.sampled_from([0, 1, 5, 2 ** 31, 2 ** 32 - 1]), max_size=60), st.sampled_from([np.uint32, np.uint64]))
@settings(max_examples=300, deadline=None)
def test_dense_ids_are_the_ranks_of_the_keys(keys, dtype):
    """Both paths of ``dense`` (keys of 32 bits sorted with their index, wider ones
    mixed): equal ids iff equal keys, ids 0..count-1."""
    ids, count, shared = dense(np.array(keys, dtype), shared=True)
    assert count == len(set(keys)) and sorted(set(ids.tolist())) == list(range(count))
    for i in range(len(keys)):
        for j in range(len(keys)):
            assert (ids[i] == ids[j]) == (keys[i] == keys[j])
        assert shared[i] == (keys.count(keys[i]) > 1)


@given(st.lists(st.tuples(st.sampled_from([0, 1, 9, 2 ** 31 - 1, 2 ** 31, -3]), st.sampled_from([0, 9, 2 ** 31 - 1, 2 ** 40])), max_size=30))
@settings(max_examples=300, deadline=None)
def test_a_pair_is_named_as_its_row_is(pairs):
    rows = np.array(pairs, np.int64).reshape(-1, 2)
    pal = Palette()
    colours = bool(len(rows)) and rows.min() >= 0 and rows.max() < 2 ** 31
    before = pal.intern("f", rows[: len(rows) // 2])
    ids = pal.intern_pair("f", rows[:, 0], rows[:, 1])
    if colours:                                          # colour ids: names given earlier are kept
        assert (ids[: len(before)] == before).all()
    for i in range(len(pairs)):
        for j in range(len(pairs)):
            assert (ids[i] == ids[j]) == (pairs[i] == pairs[j])


def test_the_bulk_dense_layer_numbers_weights_source_major():
    net = sg.Network.mlp([3, 2, 1], bias=True)
    edges = list(zip(net.edge_source, net.edge_target, net.edge_param))
    x1, x2, x3, y1, y2, y = (net.node_index[sp.Symbol(s)] for s in ("x1", "x2", "x3", "y1", "y2", "y"))
    one = next(j for j, node in enumerate(net.nodes) if node.kind == "bias")
    assert edges[:6] == [(x1, y1, 0), (x1, y2, 1), (x2, y1, 2), (x2, y2, 3), (x3, y1, 4), (x3, y2, 5)]
    assert edges[6:8] == [(one, y1, 8), (one, y2, 9)]             # biases after the 8 weights
    assert edges[8:] == [(y1, y, 6), (y2, y, 7), (one, y, 10)]
    assert [a.tolist() for a in net.edge_arrays] == [list(c) for c in zip(*edges)]


def _coarsest_equitable(net, initial):
    """The structural engine's partitions of the nodes and of the parameters, by
    naive refinement: dicts and sorted tuples, one node and one parameter at a time."""
    def role(node, k):
        return (node.op.role(k), str(node.targets[k]) if node.targets else None)

    node_colour = {}
    for j, node in enumerate(net.nodes):
        kind = (node.op.key, tuple(sorted(map(str, (role(node, k) for k in range(len(node.args)))))))\
            if node.kind == "function" else ()
        node_colour[j] = (j == net.objective, node.kind, node.activation.name if node.kind == "neuron" else "",
                          str(node.symbol) if node.kind == "input" else "", str(kind))
    param_colour = dict(enumerate(initial))
    ins = {j: [] for j in node_colour}
    outs = {j: [] for j in node_colour}
    on = {p: [] for p in param_colour}
    for s, t, p in zip(net.edge_source, net.edge_target, net.edge_param):
        ins[t].append((p, s))
        outs[s].append((p, t))
        on[p].append((s, t))
    args = {j: [(str(role(node, k)), a) for k, a in enumerate(node.args)] for j, node in enumerate(net.nodes)}
    readers = {j: [] for j in node_colour}
    for f, node in enumerate(net.nodes):
        for k, a in enumerate(node.args):
            readers[a].append((f, str(role(node, k))))

    def relabel(signature):
        ids: dict = {}
        return {key: ids.setdefault(sig, len(ids)) for key, sig in signature.items()}

    node_colour, param_colour = relabel(node_colour), relabel(param_colour)
    while True:
        new_nodes = relabel({j: (node_colour[j],
                                 tuple(sorted((param_colour[p], node_colour[s]) for p, s in ins[j])),
                                 tuple(sorted((param_colour[p], node_colour[t]) for p, t in outs[j])),
                                 tuple(sorted((k, node_colour[a]) for k, a in args[j])),
                                 tuple(sorted((k, node_colour[f]) for f, k in readers[j])),
                                 tuple(sorted(node_colour[u] for u in net.nodes[j].uses)))
                             for j in node_colour})
        new_params = relabel({p: (param_colour[p], tuple(sorted((node_colour[s], node_colour[t]) for s, t in on[p])))
                              for p in param_colour})
        if len(set(new_nodes.values())) == len(set(node_colour.values())) and \
                len(set(new_params.values())) == len(set(param_colour.values())):
            return (Classes.by_value([node_colour[j] for j in range(len(net.nodes))]),
                    Classes.by_value([param_colour[p] for p in range(net.parameter_count)]))
        node_colour, param_colour = new_nodes, new_params


@pytest.mark.parametrize("seed", range(40))
def test_the_structural_ties_are_the_coarsest_equitable_partition(seed):
    rng = random.Random(seed)
    net = _random_network(rng)
    tied = [[str(net.weights[0]), str(net.weights[-1])]] if net.weight_count > 1 else []
    init = rng.choice([sg.Constant("a"), sg.Distinct(), sg.Tied(tied)])
    proof = sg.prove(net, init, engine="structural")
    initial = [str(v) for v in init.values(net)]
    assert proof.invariant_classes == _coarsest_equitable(net, initial)[1]


@contextlib.contextmanager
def _colliding_hashes():
    """Every row the palette hashes gets the same hash: only its exact check of
    each row against its group's keeps rows apart.  Yields the calls made."""
    import symgrad.maths.palette as palette
    calls, original = [], palette.row_hash

    def collide(tag, rows):
        calls.append(len(rows))
        return np.zeros(len(rows), np.uint64)

    palette.row_hash = collide
    try:
        yield calls
    finally:
        palette.row_hash = original


@st.composite
def _networks(draw):
    """A small MLP and any initial labelling of its parameters (any ties at init)."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=5))
    objective = draw(st.sampled_from(["output", "squared_error"] + (["cross_entropy"] if sizes[-1] > 1 else [])))
    net = sg.Network.mlp(sizes, activation=draw(st.sampled_from(["identity", "tanh", "relu"])),
                         bias=draw(st.booleans()), objective=objective)
    count = net.parameter_count
    return net, draw(st.lists(st.integers(0, 2), min_size=count, max_size=count))


@given(_networks(), st.booleans())
@settings(max_examples=200, deadline=None)
def test_colour_refinement_is_the_coarsest_equitable_partition(drawn, collide):
    """Node and parameter classes of the shared kernel's refinement, against the
    naive one; with ``collide`` every hashed row collides, and no false tie appears."""
    net, labels = drawn
    with _colliding_hashes() if collide else contextlib.nullcontext():
        colouring = colour_refinement(net, np.array(labels, np.int64))
    found = Classes.by_label(colouring.nodes), Classes.by_label(colouring.parameters)
    assert found == _coarsest_equitable(net, labels)


@pytest.mark.parametrize("name", sg.examples.names())
def test_colliding_hashes_change_no_class(name):
    """The built-in examples (shared weights, softmax, losses, data): rows are hashed,
    and when every hash collides the classes are the same."""
    net = sg.examples.get(name)
    labels = np.zeros(net.parameter_count, np.int64)
    with _colliding_hashes() as calls:
        collided = colour_refinement(net, labels)
    assert calls
    plain = colour_refinement(net, labels)
    for found, expected in ((collided.nodes, plain.nodes), (collided.parameters, plain.parameters)):
        assert Classes.by_label(found) == Classes.by_label(expected)


@given(st.lists(st.integers(0, 6), min_size=1, max_size=40), st.integers(1, 5), st.booleans())
@settings(max_examples=300, deadline=None)
def test_dense_across_block_boundaries(keys, block, wide):
    """``dense`` with blocks of a few elements (runs of equal keys across block
    edges) against numpy's unique: ids in key order, distinct keys, shared flags."""
    import symgrad.maths.refine as R
    old = R.BLOCK
    R.BLOCK = block
    try:
        arr = np.array(keys, np.uint64 if wide else np.uint32)
        ids, count, *rest = dense(arr, distinct=not wide, shared=True)
    finally:
        R.BLOCK = old
    uniq, inverse, counts = np.unique(arr, return_inverse=True, return_counts=True)
    assert count == len(uniq) and ((ids[:, None] == ids[None, :]) == (inverse[:, None] == inverse[None, :])).all()
    if not wide:
        assert ids.tolist() == inverse.ravel().tolist() and rest[0].tolist() == uniq.tolist()
    assert rest[-1].tolist() == (counts[inverse] > 1).ravel().tolist()


@given(st.lists(st.integers(0, 2 ** 64 - 1) | st.integers(0, 9) | st.sampled_from([2 ** 40, 2 ** 40 + 1, 2 ** 63]),
                min_size=1, max_size=60), st.integers(1, 5))
@settings(max_examples=400, deadline=None)
def test_sorted_runs_put_equal_keys_together(keys, block):
    """``sorted_runs`` against Python: every run holds one key, no key in two runs, and
    the order is a permutation; small keys share their high bits (the full-key path)."""
    import symgrad.maths.keys as KY
    old = KY.BLOCK
    KY.BLOCK = block
    try:
        order, starts = KY.sorted_runs(np.array(keys, np.uint64))
    finally:
        KY.BLOCK = old
    assert sorted(order.tolist()) == list(range(len(keys))) and starts[0]
    runs = np.cumsum(starts) - 1
    seen = {}
    for r, i in zip(runs.tolist(), order.tolist()):
        assert seen.setdefault(keys[i], r) == r                 # one run per key
    assert len(set(seen.values())) == len(seen) == len(set(keys))   # one key per run
