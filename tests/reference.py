"""An independent reference for tests: the objective evaluated straight from
the network's structure with mpmath (no symgrad maths), and its gradient by
central finite differences at high precision."""
from __future__ import annotations

import mpmath

mp = mpmath.mp.clone()
mp.dps = 80


def activation(name: str, z, at_zero=0):
    if name == "identity":
        return z
    if name == "relu":
        return z if z > 0 else mp.mpf(0)
    if name == "sigmoid":
        return 1 / (1 + mp.exp(-z))
    if name == "tanh":
        return mp.tanh(z)
    if name == "step":
        return mp.mpf(1) if z >= 0 else mp.mpf(-1)
    raise ValueError(name)


def objective(net, params, inputs, targets, pre_out=None):
    """The objective at parameter values ``params`` (a list indexed like
    ``net.parameters``), input and target values (dicts by symbol)."""
    values = {}
    for j, node in enumerate(net.nodes):
        if node.kind == "input":
            values[j] = mp.mpf(inputs[node.symbol])
        elif node.kind == "bias":
            values[j] = mp.mpf(1)
    for j, node in enumerate(net.nodes):
        if node.kind == "neuron":
            z = mp.fsum(params[net.edge_param[e]] * values[net.edge_source[e]] for e in net.in_edges[j])
            if pre_out is not None:
                pre_out.append(z)
            values[j] = activation(node.activation.name, z)
        elif node.kind == "function":
            args = [values[a] for a in node.args]
            t = [mp.mpf(targets[s]) for s in node.targets]
            name = node.op.name
            if name == "softmax":
                values[j] = mp.exp(args[node.op.index]) / mp.fsum(mp.exp(a) for a in args)
            elif name == "cross_entropy":
                total = mp.log(mp.fsum(mp.exp(a) for a in args))
                values[j] = -mp.fsum(tk * (a - total) for tk, a in zip(t, args))
            elif name == "squared_error":
                values[j] = mp.fsum((a - tk) ** 2 for a, tk in zip(args, t)) / 2
            elif name == "output":
                values[j] = mp.fsum(args)
            else:
                raise ValueError(name)
    return values[net.objective]


def finite_difference(net, params, inputs, targets, p, h=mp.mpf(10) ** -30):
    """d objective / d parameter ``p`` by a central difference."""
    up, down = list(params), list(params)
    up[p] += h
    down[p] -= h
    return (objective(net, up, inputs, targets) - objective(net, down, inputs, targets)) / (2 * h)
