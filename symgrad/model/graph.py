"""The network: a DAG of scalar nodes; weights are SymPy symbols on edges.

Nodes are stored in topological order (every edge goes from a lower index to a
higher one, except edges from the constant 1, which has no inputs).  A node is an input, the constant 1 that biases hang from, a
neuron ``y = act(sum_e w_e * y_source(e))``, or a function node (softmax, a
loss) that applies an operation to other nodes.  Edges are kept as three
integer arrays (source, target, parameter): one parameter may sit on many
edges (weight sharing, convolution).  Parameters are the weights, numbered in
the order they were created, then the biases; SymPy symbols are made only when
asked for, so networks of a million weights stay small.

>>> net = Network.mlp([2, 2, 2, 1])
>>> net.weights[:4], net.inputs
((w1, w2, w3, w4), (x1, x2))
>>> print(net)
Network 'mlp 2-2-2-1': 2 inputs, 5 neurons, 10 weights, objective y
"""
from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import sympy as sp

from ..base.errors import SymgradError
from ..base.names import check_name, companion, filled_names
from ..base.printable import Printable
from . import layers
from .activations import IDENTITY, Activation
from .data import check_samples
from .edges import as_edge_array, as_numpy, check_forward, edge_array, group, more_parameters
from .sharing import renumbered, shared_numbering
from .nodes import BIAS, FUNCTION, INPUT, NEURON, Layer, Node, validate
from .ops import Op

@dataclass(frozen=True, eq=False, repr=False)
class Network(Printable):
    """An immutable network; build one with ``NetworkBuilder`` or ``Network.mlp``."""

    name: str
    nodes: tuple[Node, ...]
    edge_source: array
    edge_target: array
    edge_param: array
    weight_count: int
    bias_count: int
    objective: int
    layers: tuple[Layer, ...] = ()
    targets: tuple[sp.Symbol, ...] = ()
    weight_names: tuple[str, ...] | None = None
    bias_names: tuple[str, ...] | None = None
    description: str = ""
    data: tuple[Mapping, ...] | None = field(default=None)

    # -- parameters -------------------------------------------------------
    @property
    def parameter_count(self) -> int:
        return self.weight_count + self.bias_count

    def param_name(self, p: int) -> str:
        if p < self.weight_count:
            return self.weight_names[p] if self.weight_names else f"w{p + 1}"
        b = p - self.weight_count
        return self.bias_names[b] if self.bias_names else f"b{b + 1}"

    def is_bias(self, p: int) -> bool:
        return p >= self.weight_count

    @cached_property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """Weights then biases, as SymPy symbols, in numbering order."""
        return tuple(sp.Symbol(self.param_name(p)) for p in range(self.parameter_count))

    @property
    def weights(self) -> tuple[sp.Symbol, ...]:
        return self.parameters[: self.weight_count]

    @property
    def biases(self) -> tuple[sp.Symbol, ...]:
        return self.parameters[self.weight_count :]

    @cached_property
    def param_index(self) -> dict[sp.Symbol, int]:
        return {s: p for p, s in enumerate(self.parameters)}

    def index_of(self, parameter) -> int:
        """The index of a parameter given as a symbol, a name or an index."""
        if isinstance(parameter, int) and 0 <= parameter < self.parameter_count:
            return parameter
        key = sp.Symbol(parameter) if isinstance(parameter, str) else parameter
        try:
            return self.param_index[key]
        except (KeyError, TypeError):
            raise SymgradError(f"network {self.name!r} has no weight or bias {parameter!r}") from None

    # -- nodes ------------------------------------------------------------
    @cached_property
    def input_nodes(self) -> tuple[int, ...]:
        return tuple(i for i, n in enumerate(self.nodes) if n.kind == INPUT)

    @property
    def inputs(self) -> tuple[sp.Symbol, ...]:
        return tuple(self.nodes[i].symbol for i in self.input_nodes)

    @cached_property
    def neurons(self) -> tuple[int, ...]:
        return tuple(i for i, n in enumerate(self.nodes) if n.kind == NEURON)

    @cached_property
    def node_index(self) -> dict[sp.Symbol, int]:
        return {n.symbol: i for i, n in enumerate(self.nodes)}

    @cached_property
    def _companions(self) -> dict[tuple[str, int], sp.Symbol]:
        """Pre-activation and delta symbols: ``z3``/``delta3`` for ``y3``, the
        long form ``delta_a1`` wherever the short one would be ambiguous."""
        taken = {str(n.symbol) for n in self.nodes} | {str(t) for t in self.targets}
        if self.parameter_count <= 100_000:
            taken |= {str(p) for p in self.parameters}
        found = {}
        for letter in ("z", "delta"):
            owners = [j for j, n in enumerate(self.nodes) if n.kind in (NEURON, FUNCTION)]
            short = {j: companion(str(self.nodes[j].symbol), letter) for j in owners}
            counts: dict[str, int] = {}
            for name in short.values():
                counts[name] = counts.get(name, 0) + 1
            for j, name in short.items():
                if counts[name] > 1 or name in taken:
                    name = f"{letter}_{self.nodes[j].symbol}"
                found[letter, j] = sp.Symbol(name)
        return found

    def pre_symbol(self, j: int) -> sp.Symbol:
        """The symbol of node ``j``'s pre-activation (``z3`` for ``y3``)."""
        return self._companions["z", j]

    def delta_symbol(self, j: int) -> sp.Symbol:
        """The symbol of d(objective)/d(pre-activation of ``j``) (``delta3``)."""
        return self._companions["delta", j]

    @property
    def edge_count(self) -> int:
        return len(self.edge_param)

    @cached_property
    def edge_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(source, target, parameter) of every edge as int64 numpy arrays
        (views of the stored arrays, no copy): what the vectorised engines read.

        >>> [a.tolist() for a in Network.mlp([2, 1]).edge_arrays]
        [[0, 1], [2, 2], [0, 1]]
        """
        return tuple(as_numpy(a) for a in (self.edge_source, self.edge_target, self.edge_param))

    @cached_property
    def in_edges(self) -> tuple[tuple[int, ...], ...]:
        return group(self.edge_target, len(self.nodes))

    @cached_property
    def out_edges(self) -> tuple[tuple[int, ...], ...]:
        return group(self.edge_source, len(self.nodes))

    @cached_property
    def param_edges(self) -> tuple[tuple[int, ...], ...]:
        return group(self.edge_param, self.parameter_count)

    @cached_property
    def consumers(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """For each node, the (function node, argument position) pairs using it."""
        found: list[list[tuple[int, int]]] = [[] for _ in self.nodes]
        for f, node in enumerate(self.nodes):
            for k, a in enumerate(node.args):
                found[a].append((f, k))
        return tuple(tuple(c) for c in found)

    @cached_property
    def reaches_objective(self) -> tuple[bool, ...]:
        """Whether each node lies on a path to the objective."""
        live = [False] * len(self.nodes)
        live[self.objective] = True
        for j in range(len(self.nodes) - 1, -1, -1):
            if live[j]:
                for e in self.in_edges[j]:
                    live[self.edge_source[e]] = True
                for a in self.nodes[j].args:
                    live[a] = True
        return tuple(live)

    # -- data -------------------------------------------------------------
    @property
    def samples(self) -> tuple[Mapping, ...]:
        """The data: substitutions for inputs and targets, one per sample
        (by default a single sample, the symbols themselves)."""
        return self.data if self.data else ({},)

    def sample_values(self, value=sp.sympify) -> list[dict]:
        """Each sample as a value for every input and target (a symbol a sample
        leaves as it is stands for itself), each passed through ``value``.

        >>> Network.mlp([2, 1]).with_data([{"x1": 3}]).sample_values()
        [{x1: 3, x2: x2}]
        """
        return [{s: value(sample.get(s, s)) for s in (*self.inputs, *self.targets)} for sample in self.samples]

    def with_data(self, samples: Sequence[Mapping] | None) -> "Network":
        """A copy whose data are ``samples`` (dicts: input/target symbol -> value)."""
        return replace(self, data=check_samples(self, samples) if samples else None)

    # -- building and printing -----------------------------------------------
    @classmethod
    def mlp(cls, sizes: Sequence[int], activation="identity", bias=False, name: str | None = None,
            description: str = "", **options) -> "Network":
        """A fully connected network with source-major weight numbering.

        ``sizes`` counts units per layer, inputs first.  ``activation`` applies
        to hidden layers; the output is linear unless ``output_activation``
        says otherwise; ``objective`` is ``output`` (the output itself),
        ``squared_error`` or ``cross_entropy`` (softmax over the outputs).

        >>> Network.mlp([3, 4, 1], activation="tanh", bias=True).parameter_count
        21
        """
        sizes = layers.mlp_sizes(sizes)
        b = NetworkBuilder(name or "mlp " + "-".join(map(str, sizes)), description)
        return b.build(objective=layers.mlp(b, sizes, activation=activation, bias=bias, **options))

    def with_activation(self, old: str, new: Activation) -> "Network":
        """A copy where every activation named ``old`` is replaced by ``new``."""
        nodes = tuple(replace(n, activation=new) if n.activation.name == old else n for n in self.nodes)
        return replace(self, nodes=nodes)


class NetworkBuilder(Printable):
    """Collects nodes, edges and parameters, then builds a checked ``Network``.

    >>> b = NetworkBuilder("tiny")
    >>> x = b.input("x")
    >>> y = b.neuron("y", layer=1)
    >>> b.connect(x, y, b.weight())
    >>> net = b.build(objective=y)
    >>> net.weights, net.inputs
    ((w1,), (x,))
    """

    def __init__(self, name: str = "network", description: str = ""):
        self.name, self.description = name, description
        self.nodes: list[Node] = []
        self.sources, self.targets_of_edges, self.params = edge_array(), edge_array(), edge_array()
        self.weight_names: list[str | None] = []
        self.bias_names: list[str | None] = []
        self.layers: list[Layer] = []
        self.targets: list[sp.Symbol] = []
        self._bias_node: int | None = None

    # nodes
    def add(self, node: Node) -> int:
        """Add ``node`` as it is (its arguments may refer to nodes added later:
        ``replace`` it once they exist); returns its index."""
        self.nodes.append(node)
        return len(self.nodes) - 1

    def replace(self, j: int, node: Node) -> None:
        """Put ``node`` in place of node ``j``."""
        self.nodes[j] = node

    @property
    def node_count(self) -> int:
        """How many nodes there are so far (the index the next one gets)."""
        return len(self.nodes)

    def input(self, name: str, **assumptions) -> int:
        return self.add(Node(sp.Symbol(check_name(name), **assumptions), INPUT, 0))

    def neuron(self, name: str, layer: int, activation: Activation = IDENTITY) -> int:
        return self.add(Node(sp.Symbol(check_name(name)), NEURON, layer, activation=activation))

    def function(self, name: str, layer: int, op: Op, args, uses=(), targets=()) -> int:
        node = Node(sp.Symbol(check_name(name)), FUNCTION, layer, op=op, args=tuple(args), uses=tuple(uses), targets=tuple(targets))
        return self.add(node)

    def target(self, name: str, **assumptions) -> sp.Symbol:
        symbol = sp.Symbol(check_name(name), **assumptions)
        self.targets.append(symbol)
        return symbol

    @property
    def bias_node(self) -> int:
        if self._bias_node is None:
            self._bias_node = self.add(Node(sp.S.One, BIAS, 0))
        return self._bias_node

    # parameters and edges
    def weight(self, name: str | None = None) -> int:
        self.weight_names.append(name)
        return len(self.weight_names) - 1

    def weights(self, count: int) -> np.ndarray:
        """``count`` new unnamed weights at once; their indices."""
        return more_parameters(self.weight_names, count)

    def biases(self, count: int) -> np.ndarray:
        """``count`` new unnamed biases at once; their (negative) references."""
        return -1 - more_parameters(self.bias_names, count)

    def bias(self, name: str | None = None) -> int:
        """A new bias parameter (returned as a negative reference until built)."""
        self.bias_names.append(name)
        return -len(self.bias_names)

    def connect(self, source: int, target: int, param: int) -> None:
        constant = source == self._bias_node  # the constant 1 may come after its neurons
        if not (0 <= source < target < len(self.nodes) or constant and 0 <= target < len(self.nodes)):
            raise SymgradError(f"edge {source}->{target} does not go forward between existing nodes")
        if self.nodes[target].kind != NEURON:
            raise SymgradError(f"edges must end at a neuron, not at {self.nodes[target].symbol}")
        self.sources.append(source)
        self.targets_of_edges.append(target)
        self.params.append(param)

    def connect_many(self, sources, targets, params) -> None:
        """``connect`` for arrays of edges at once (checked as a whole):
        >>> b = NetworkBuilder()
        >>> x, y = b.input("x"), b.neuron("y", 1)
        >>> b.connect_many([x, x], [y, y], [b.weight(), b.weight()])
        >>> b.build(objective=y).weights
        (w1, w2)
        """
        src, tgt = np.asarray(sources, np.int64), np.asarray(targets, np.int64)
        check_forward(self.nodes, self._bias_node, src, tgt)
        for stored, given in ((self.sources, src), (self.targets_of_edges, tgt), (self.params, params)):
            stored.frombytes(np.ascontiguousarray(given, np.int64).tobytes())

    def add_bias(self, target: int, param: int) -> None:
        self.connect(self.bias_node, target, param)

    def layer(self, name: str, kind: str, units) -> None:
        self.layers.append(Layer(name, kind, tuple(tuple(u) for u in units)))

    def rename_layer(self, name: str) -> None:
        """Give the layer added last the name ``name``."""
        self.layers[-1] = replace(self.layers[-1], name=name)

    def rename(self, weights: Sequence[str] | None = None, biases: Sequence[str] | None = None) -> None:
        """Name the weights (and biases) made so far, in the order they were made."""
        for given, current in ((weights, self.weight_names), (biases, self.bias_names)):
            if given is not None:
                if len(given) != len(current):
                    raise SymgradError(f"{len(given)} names given for {len(current)} parameters")
                current[:] = given

    @property
    def weight_total(self) -> int:
        """How many weights were made so far."""
        return len(self.weight_names)

    @property
    def bias_total(self) -> int:
        """How many biases were made so far."""
        return len(self.bias_names)

    def share(self, groups) -> None:
        """Make each group of parameters (given by name) a single parameter,
        the first member's; the names of the others disappear and the rest
        keep theirs (sharing ``w3`` with ``w1`` leaves ``w1, w2, w4, ...``).

        >>> b = NetworkBuilder()
        >>> x, y = b.input("x"), b.neuron("y", 1)
        >>> for _ in range(3): b.connect(x, y, b.weight())
        >>> b.share([["w1", "w3"]])
        >>> b.build(objective=y).weights
        (w1, w2)
        """
        renumber, self.weight_names, self.bias_names = shared_numbering(self.weight_names, self.bias_names, groups)
        self.params = as_edge_array(renumbered(as_numpy(self.params), renumber))

    def build(self, objective: int) -> Network:
        weights = len(self.weight_names)
        refs = as_numpy(self.params)
        params = as_edge_array(np.where(refs >= 0, refs, weights - refs - 1))
        net = Network(
            name=self.name,
            nodes=tuple(self.nodes),
            edge_source=self.sources,
            edge_target=self.targets_of_edges,
            edge_param=params,
            weight_count=weights,
            bias_count=len(self.bias_names),
            objective=objective,
            layers=tuple(self.layers),
            targets=tuple(self.targets),
            weight_names=filled_names(self.weight_names, "w"),
            bias_names=filled_names(self.bias_names, "b"),
            description=self.description,
        )
        validate(net)
        return net
