"""Resource guards: how much the algebraic engine takes on, and for how long.

The algebraic engine builds exact expressions whose cost grows with the
graph times the samples; ``check_size`` refuses work beyond a limit (raise
it with ``max_size``, or use the structural engine, which scales to millions
of weights).  ``time_limit`` stops any work after a wall-clock limit.

>>> from symgrad import Network
>>> work_size(Network.mlp([2, 2, 2, 1]))
15
>>> check_size(Network.mlp([100, 100, 1]), limit=5000)
Traceback (most recent call last):
...
symgrad.errors.SymgradError: 'mlp 100-100-1' is too large for the algebraic engine (size 10,201 > limit 5,000: edges and neurons times samples); use the structural engine (--engine structural), or raise the limit (--max-size)
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

from .errors import SymgradError, TimeLimit
from .graph import FUNCTION, NEURON

ALGEBRAIC_LIMIT = 50_000  # edges and neurons times samples (about a minute of work)
ALGEBRAIC_DEPTH = 40      # layers of neurons on the longest path (nested expressions grow with depth)
MAX_EDGES = 5_000_000     # networks symgrad builds at all (about 15 s to build, for the structural engine)
MAX_NODES = 200_000
MAX_SAMPLES = 1_000       # samples in the data
MAX_SAMPLE_VALUES = 200_000  # samples times (inputs + targets): the values the data holds (about 1.5 s to make)
MAX_STEPS = 10            # unrolled symbolic steps (expressions grow fast with the steps)
MAX_TRACE_STEPS = 10_000  # numeric training steps
# Unrolled steps are bounded by their cost, not their count: the exact values
# grow several times per step (the toy example: 132, 824, 3,888, 16,736, 69,312
# nodes after steps 1-5; step 5 takes 9 s, step 6 would take 100 s).
# Expanded polynomials compare cheaply; nested non-polynomial values (tanh)
# need canonical forms for their ties (18 s for 112,720 nodes), so less of them.
UNROLL_FROM = {True: 20_000, False: 10_000}     # nodes from which one more exact step is still taken
UNROLL_NODES = {True: 120_000, False: 40_000}   # nodes of one step's values (ties and printing walk them all)


def expression_nodes(exprs, limit: int, seen: set | None = None) -> int:
    """The nodes of the expression trees ``exprs``, counted by a walk that
    stops after ``limit`` (then ``limit + 1`` is returned).  A value given
    twice counts twice, unless ``seen`` (the values counted already) is given.

    >>> import sympy as sp
    >>> x, y = sp.symbols("x y")
    >>> expression_nodes([x * y + 1, x * y + 1], 100), expression_nodes([x * y + 1, x * y + 1], 100, set())
    (10, 5)
    >>> expression_nodes([x * y + 1], 2)
    3
    """
    if seen is not None:
        exprs = [e for e in exprs if not (e in seen or seen.add(e))]
    count, stack = 0, list(exprs)
    while stack:
        count += 1
        if count > limit:
            break
        stack.extend(stack.pop().args)
    return count


STEP_NODES = 1_000    # nodes of one printed step of a gradient's chain (the explicit form of a deep net is exponential)
CHAIN_NODES = 3_000   # ... and of all the steps of one gradient's chain (a deep net has a step per layer)


def substituted_nodes(expr, replacements: dict, limit: int) -> int:
    """The nodes of ``expr.xreplace(replacements)``, counted without building
    it (an upper bound: SymPy may merge terms), no further than ``limit``.

    >>> import sympy as sp
    >>> x, y, z = sp.symbols("x y z")
    >>> substituted_nodes(x * y + 1, {x: y + z}, 100), len(list(sp.preorder_traversal((y + z) * y + 1)))
    (7, 7)
    """
    count, stack = 0, [expr]
    while stack and count <= limit:
        node = stack.pop()
        if node in replacements:
            stack.append(replacements[node])
            continue
        count += 1
        stack.extend(node.args)
    return count


class UnrollBudget:
    """The cost bound of unrolled steps: refuse a step that starts from more
    than ``UNROLL_FROM`` nodes (every parameter's value: each gradient is
    worked out on its own), or whose distinct values reach more than
    ``UNROLL_NODES`` (ties and printing take each distinct value once; counted
    as they are made, so the refusal comes at once); ``expanded``: the values
    are expanded polynomials.

    >>> import sympy as sp
    >>> budget = UnrollBudget(steps=3, expanded=True)
    >>> budget.start(1, [sp.Symbol("a")])
    >>> budget.add(sp.Add(*sp.symbols("x1:200000")))
    Traceback (most recent call last):
    ...
    symgrad.errors.SymgradError: unrolling 3 exact steps is too costly: at step 1 the expressions have more than 120,000 nodes (the limit for unrolled steps; they grow several times per step); ask for fewer steps
    """

    def __init__(self, steps: int, expanded: bool = True):
        self.steps, self.first, self.most = steps, UNROLL_FROM[bool(expanded)], UNROLL_NODES[bool(expanded)]

    def start(self, step: int, current) -> None:
        self.step, self.used, self.seen = step, 0, set()
        if step > 1 and expression_nodes(current, self.first) > self.first:
            self._refuse(f"after step {step - 1}", self.first)

    def add(self, value) -> None:
        self.used += expression_nodes([value], self.most - self.used, self.seen)
        if self.used > self.most:
            self._refuse(f"at step {self.step}", self.most)

    def _refuse(self, when: str, limit: int):
        fewer = f"at most {self.step - 1} step{'s' if self.step != 2 else ''}" if self.step > 1 else "fewer steps"
        raise SymgradError(f"unrolling {self.steps} exact step{'s' if self.steps != 1 else ''} is too costly: {when} the expressions have more "
                           f"than {limit:,} nodes (the limit for unrolled steps; they grow several times per step); "
                           f"ask for {fewer}")


POLYNOMIAL = ("identity", "step")        # activations whose gradients stay polynomial (step's is 0)
NONLINEAR_COST = 4   # a non-polynomial activation (tanh, sigmoid, relu, softmax): canonical forms cost more
BIAS_COST = 2        # ... and biases inside their arguments double that again
# Measured on a 2-core machine (prove, constant init): linear 150-150-1 (size 22,951) 2.3 s; tanh with
# biases 70-70-1 (5,111 edges and neurons) 1.8 s, 90-90-1 (8,371) over 40 s, 100-100-1 over 120 s;
# tanh without biases 100-100-1 (10,201) 4.5 s; sigmoid 100-100-1 36 s; relu with biases 100-100-1 over 120 s.


def cost_factor(net) -> int:
    """How much more than a linear network each edge and neuron costs the algebraic engine:
    ``NONLINEAR_COST`` with a non-polynomial activation, times ``BIAS_COST`` with biases too."""
    nonlinear = any(net.nodes[j].activation.name not in POLYNOMIAL for j in net.neurons) or any(
        node.op is not None and node.op.name in ("softmax", "cross_entropy") for node in net.nodes
        if node.kind == FUNCTION)
    if not nonlinear:
        return 1
    return NONLINEAR_COST * (BIAS_COST if net.bias_count else 1)


def work_size(net) -> int:
    """What the algebraic engine expands: (edges + neurons) times samples,
    times the ``cost_factor`` of the activations and biases."""
    return (net.edge_count + len(net.neurons)) * len(net.samples) * cost_factor(net)


def depth(net) -> int:
    """The number of neurons on the longest path from an input to the objective."""
    longest = [0] * len(net.nodes)
    for j, node in enumerate(net.nodes):
        before = [longest[net.edge_source[e]] for e in net.in_edges[j]] + [longest[a] for a in node.args]
        longest[j] = max(before, default=0) + (node.kind == NEURON)
    return longest[net.objective]


def check_size(net, limit: int | None = None) -> None:
    """Refuse a network too large or too deep for exact expressions (``limit``
    None: the default size limit; it scales the depth limit too)."""
    from .schema import elide   # SymPy-free until a size is checked

    limit = ALGEBRAIC_LIMIT if limit is None else limit
    size = work_size(net)
    hint = "use the structural engine (--engine structural), or raise the limit (--max-size)"
    if size > limit:
        factor = cost_factor(net)
        weighted = (f", times {factor} for {'non-polynomial activations with biases' if factor > NONLINEAR_COST else 'non-polynomial activations'}"
                    if factor > 1 else "")
        raise SymgradError(f"{elide(repr(net.name))} is too large for the algebraic engine (size {size:,} > limit "
                           f"{limit:,}: edges and neurons times samples{weighted}); {hint}")
    deepest = depth(net)
    if deepest > ALGEBRAIC_DEPTH * limit / ALGEBRAIC_LIMIT:
        raise SymgradError(f"{elide(repr(net.name))} is too deep for the algebraic engine ({deepest} layers of neurons; "
                           f"expressions nest once per layer); {hint}")


REPORT_PARAMETERS = 2_000   # parameters a report shows, every one with its gradient (beyond: pages nobody reads)


def check_report_size(net) -> None:
    """Refuse a report on more than ``REPORT_PARAMETERS`` parameters at once
    (its source would run to megabytes; ``prove`` summarises large networks).

    >>> from symgrad import Network
    >>> check_report_size(Network.mlp([100, 30, 1]))
    Traceback (most recent call last):
    ...
    symgrad.errors.SymgradError: a report shows every parameter with its gradient: at most 2,000 parameters, and 'mlp 100-30-1' has 3,030; symgrad prove summarises a large network (classes by size)
    """
    if net.parameter_count > REPORT_PARAMETERS:
        raise SymgradError(f"a report shows every parameter with its gradient: at most {REPORT_PARAMETERS:,} "
                           f"parameters, and {net.name!r} has {net.parameter_count:,}; symgrad prove summarises a "
                           "large network (classes by size)")


def check_sample_count(net, count: int) -> int:
    """``count``, unless that many samples of ``net`` would hold more than
    ``MAX_SAMPLE_VALUES`` values (checked before any sample is made).

    >>> from symgrad import Network
    >>> check_sample_count(Network.mlp([1000, 1]), 500)
    Traceback (most recent call last):
    ...
    symgrad.errors.SymgradError: 500 samples of 1,000 inputs and targets would hold 500,000 values, more than symgrad builds (200,000)
    """
    per_sample = len(net.inputs) + len(net.targets)
    if count * per_sample > MAX_SAMPLE_VALUES:
        raise SymgradError(f"{count:,} samples of {per_sample:,} inputs and targets would hold "
                           f"{count * per_sample:,} values, more than symgrad builds ({MAX_SAMPLE_VALUES:,})")
    return count


STRUCTURAL_WORK = 25_000_000  # refinement rounds (one per layer of depth) times nodes and edges (about 12 s)


def check_structural(net) -> None:
    """Refuse a network whose colour refinement would take minutes: it takes a
    round per layer of depth, each over the whole graph (3,000 layers of one
    unit: 8 s; 20,000: several minutes)."""
    from .schema import elide

    rounds = depth(net) + 2
    work = rounds * (len(net.nodes) + net.edge_count)
    if work > STRUCTURAL_WORK:
        raise SymgradError(f"{elide(repr(net.name))} is too deep for the structural engine: {rounds - 2:,} layers of "
                           f"neurons times {len(net.nodes) + net.edge_count:,} nodes and edges is {work:,}, more than "
                           f"{STRUCTURAL_WORK:,} (colour refinement takes a round per layer over the whole graph); "
                           "use fewer layers")


def check_buildable(nodes: int, edges: int) -> None:
    """Refuse to build a network of more than ``MAX_NODES`` nodes or ``MAX_EDGES`` edges.

    >>> check_buildable(10**6, 10**6)
    Traceback (most recent call last):
    ...
    symgrad.errors.SymgradError: the network would have 1,000,000 nodes and 1,000,000 edges, more than symgrad builds (200,000 nodes, 5,000,000 edges)
    """
    if nodes > MAX_NODES or edges > MAX_EDGES:
        raise SymgradError(f"the network would have {nodes:,} nodes and {edges:,} edges, more than symgrad builds "
                           f"({MAX_NODES:,} nodes, {MAX_EDGES:,} edges)")


@contextmanager
def time_limit(seconds: float | None):
    """Raise ``TimeLimit`` in the block after ``seconds`` of wall-clock time
    (None: no limit).  Works in the main thread only (it uses SIGALRM).

    >>> with time_limit(5):
    ...     sum(range(10))
    45
    """
    if not seconds:
        yield
        return
    if threading.current_thread() is not threading.main_thread():
        raise SymgradError("a time limit works only in the main thread")

    message = f"stopped after {seconds:g} s"
    expired: list[bool] = []

    def expire(signum, frame):
        expired.append(True)
        raise TimeLimit(message)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except Exception:
        # a library's bare ``except:`` can turn the TimeLimit into another error (mpmath's interval
        # comparisons return NotImplemented, then ``>`` raises TypeError): the time limit is the cause
        if expired:
            raise TimeLimit(message) from None
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
