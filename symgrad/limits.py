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
from .graph import NEURON

ALGEBRAIC_LIMIT = 50_000  # edges and neurons times samples (about a minute of work)
ALGEBRAIC_DEPTH = 40      # layers of neurons on the longest path (nested expressions grow with depth)
MAX_EDGES = 5_000_000     # networks symgrad builds at all (about 15 s to build, for the structural engine)
MAX_NODES = 200_000
MAX_SAMPLES = 1_000       # samples in the data
MAX_SAMPLE_VALUES = 200_000  # samples times (inputs + targets): the values the data holds (about 1.5 s to make)
MAX_STEPS = 10            # unrolled symbolic steps (expressions grow fast with the steps)
MAX_TRACE_STEPS = 10_000  # numeric training steps


def work_size(net) -> int:
    """What the algebraic engine expands: (edges + neurons) times samples."""
    return (net.edge_count + len(net.neurons)) * len(net.samples)


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
    limit = ALGEBRAIC_LIMIT if limit is None else limit
    size = work_size(net)
    hint = "use the structural engine (--engine structural), or raise the limit (--max-size)"
    if size > limit:
        raise SymgradError(f"{net.name!r} is too large for the algebraic engine (size {size:,} > limit {limit:,}: "
                           f"edges and neurons times samples); {hint}")
    deepest = depth(net)
    if deepest > ALGEBRAIC_DEPTH * limit / ALGEBRAIC_LIMIT:
        raise SymgradError(f"{net.name!r} is too deep for the algebraic engine ({deepest} layers of neurons; "
                           f"expressions nest once per layer); {hint}")


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

    def expire(signum, frame):
        raise TimeLimit(f"stopped after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
