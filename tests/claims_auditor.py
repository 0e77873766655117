"""An independent auditor of symgrad's claims.

It generates random networks from its OWN specification, builds its OWN model
of each network (weight numbering, conv1d, skips, sharing, inits, data), and
re-checks every kind of claim symgrad makes with its OWN evaluators: exact
rationals (``fractions.Fraction``), mpmath at 50 digits, and torch autograd in
float64.  From symgrad it uses only the public API under test:
``sg.describe``, ``sg.prove``, ``sg.derive(net).gradient``, ``net.parameters``
and ``net.inputs``.

Conventions implemented here (learnt once from ``sg.derive(net).forward`` on
small examples, then written down as rules and asserted against the names):

* dense layer with U units over the concatenated, channel-major flattened
  sources s = 0..S-1 (default: the previous layer): weight number
  ``base + s*U + u + 1`` (source-major);
* conv1d with F filters of size K over C channels of length L: unit (f, p)
  for p = 0..L-K, weight of tap (c, j) is ``base + (c*K + j)*F + f + 1``, one
  bias per filter; its outputs are F channels of length L-K+1;
* biases numbered globally in layer order (per unit, per filter for conv1d);
* ``[parameters] shared = [[wa, wb]]``: every edge of wb uses wa (wb vanishes);
* objectives: output = sum of outputs, squared_error = sum (y-t)^2/2,
  cross_entropy = -sum t_k log softmax(a)_k for ANY targets, perceptron
  L = (phi(y) - t) y with phi(y) = 1 if y >= 0 else -1 held fixed;
* relu:h has slope h at exactly 0 (plain relu: 0);
* data: each sample maps inputs/targets to values in global symbols, substituted
  simultaneously; names a sample omits are the free symbols themselves;
  objective and gradients summed over samples.
* sigma (undefined activation): evaluated here as the concrete polynomial
  SIGMA(z) = z + z^2/3 + 1/5; only claims valid for EVERY sigma (gradient
  formulas, equalities, ties) are checked with it; certificates of difference
  for sigma networks are not re-checkable independently and are skipped
  (counted).
"""
from __future__ import annotations

import math
import random
import re
import signal
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction as Q

import mpmath
import sympy as sp

import symgrad as sg

ACTIVATIONS = ("identity", "relu", "relu:1/2", "relu:1", "sigmoid", "tanh", "sigma")
TRANSCENDENTAL = ("sigmoid", "tanh")
KINDS = ("api", "gradient", "evaluator", "numbering", "init_values", "at_init", "at_init_split", "invariant",
         "structural_invariant", "structural_finer", "stationary_true", "stationary_false", "frozen",
         "separation", "scope_text", "frozen_text")
MP_DPS = 50
MP_TOL = mpmath.mpf("1e-30")


# ----------------------------------------------------------------------------------------------------------
# The random specification


def rat(rng, lo=-3, hi=3, dens=(1, 2, 3, 4, 5)):
    """A random nonzero-ish small rational."""
    while True:
        q = Q(rng.randint(lo * 4, hi * 4), rng.choice(dens))
        if q != 0:
            return q


def qstr(q) -> str:
    q = Q(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def value_for(rng, assume):
    """A random rational satisfying the assumption list ``assume``."""
    assume = set(assume or ())
    for _ in range(1000):
        if "integer" in assume:
            q = Q(rng.randint(-6, 6))
        else:
            q = Q(rng.randint(-10, 10), rng.choice((1, 2, 3, 5, 7)))
        if ("positive" in assume and q <= 0) or ("negative" in assume and q >= 0):
            continue
        if ("nonnegative" in assume and q < 0) or ("nonpositive" in assume and q > 0):
            continue
        if "nonzero" in assume and q == 0:
            continue
        return q
    raise AssertionError(f"no value for {assume}")


def satisfies(q, assume) -> bool:
    q = Q(q)
    checks = {"integer": q.denominator == 1, "positive": q > 0, "negative": q < 0, "nonnegative": q >= 0,
              "nonpositive": q <= 0, "nonzero": q != 0, "real": True}
    return all(checks[a] for a in (assume or ()))


def random_spec(rng: random.Random, index: int = 0) -> dict:
    """A random network specification (plain data, this module's own format)."""
    objective = rng.choice(("output", "squared_error", "cross_entropy", "perceptron"))
    use_sigma = rng.random() < 0.12
    def act():
        if use_sigma and rng.random() < 0.7:
            return "sigma"
        return rng.choice(ACTIVATIONS[:-1])
    n_in = rng.randint(1, 4)
    layers = []
    use_conv = rng.random() < 0.3
    n_dense = rng.randint(1, 3)
    if use_conv:
        size = rng.randint(1, min(2, n_in))
        n_in = max(n_in, size + rng.randint(0, 2))
        layers.append({"type": "conv1d", "filters": rng.randint(1, 2), "size": size, "activation": act(),
                       "bias": rng.random() < 0.5})
        n_dense = max(1, n_dense - 1)
    for k in range(n_dense):
        last = k == n_dense - 1
        units = rng.randint(1, 3)
        if last and objective == "cross_entropy":
            units = rng.randint(2, 3)
        if last and objective == "perceptron":
            units = 1
        layer = {"type": "dense", "units": units, "activation": act() if (not last or rng.random() < 0.5) else "identity",
                 "bias": rng.random() < 0.5}
        layers.append(layer)
    for i, layer in enumerate(layers):
        layer["name"] = f"L{i + 1}"
    # skip connections on a dense layer: sources among "inputs" and earlier layers
    for i, layer in enumerate(layers):
        if layer["type"] == "dense" and i >= 1 and rng.random() < 0.3:
            earlier = ["inputs"] + [l["name"] for l in layers[:i - 1]]
            extra = rng.choice(earlier)
            srcs = [layers[i - 1]["name"], extra]
            rng.shuffle(srcs)
            layer["from"] = srcs
    if objective == "cross_entropy":
        layers.append({"type": "softmax", "name": f"L{len(layers) + 1}"})
    spec = {"index": index, "inputs": n_in, "layers": layers, "objective": objective, "symbols": {}}
    spec["input_assume"] = rng.choice([None] * 6 + [["positive"], ["integer"], ["positive", "integer"]])
    model = Model(spec)  # to know the weight names for sharing and tied groups
    weights = list(model.weight_names)
    spec["shared"] = []
    if len(weights) >= 3 and rng.random() < 0.25:
        a, b = sorted(rng.sample(range(len(weights)), 2))
        spec["shared"] = [[weights[a], weights[b]]]
    model = Model(spec)
    spec["data"] = random_data(rng, spec, model)
    spec["init"] = random_init(rng, spec, model)
    return spec


def random_data(rng, spec, model):
    if rng.random() < 0.3:
        return None
    assume = spec["input_assume"]
    inputs, targets = model.input_names, model.target_names
    fresh = []
    samples = []
    for _ in range(rng.randint(1, 3)):
        sample = {}
        for x in inputs:
            r = rng.random()
            if r < 0.35:
                continue  # free
            if r < 0.65:
                sample[x] = qstr(value_for(rng, assume))
            elif r < 0.85:
                other = rng.choice(inputs)
                k = rng.choice((1, 1, 2, 3) if assume else (1, 2, -1, 3))
                sample[x] = other if k == 1 else f"{k}*{other}"
            else:
                if not fresh or rng.random() < 0.5:
                    name = rng.choice(("u", "v", "s"))
                    if name not in fresh:
                        fresh.append(name)
                        if assume:
                            spec["symbols"][name] = list(assume)
                        elif rng.random() < 0.4:
                            spec["symbols"][name] = rng.choice((["positive"], ["integer"], ["nonzero"]))
                sample[x] = rng.choice(fresh)
        for t in targets:
            r = rng.random()
            if r < 0.3:
                continue
            sample[t] = qstr(value_for(rng, None) if rng.random() < 0.8 else Q(0))
        if spec["objective"] == "cross_entropy" and rng.random() < 0.3:
            for t in targets:
                sample[t] = "0"  # all-zero targets
        samples.append(sample)
    return samples


def random_init(rng, spec, model):
    kind = rng.choice(("constant_a", "constant_num", "zero", "distinct", "tied", "layers"))
    params = list(model.params)
    if kind == "constant_a":
        init = {"kind": "constant", "value": "a"}
        if rng.random() < 0.4:
            spec["symbols"]["a"] = rng.choice((["positive"], ["nonzero"], ["integer"], ["negative"]))
    elif kind == "constant_num":
        init = {"kind": "constant", "value": rng.choice(("1/2", "-1", "2", "1", "-3/2"))}
    elif kind == "zero":
        init = {"kind": "zero"}
    elif kind == "distinct":
        init = {"kind": "distinct"}
    elif kind == "tied":
        pool = params[:]
        rng.shuffle(pool)
        groups = []
        for _ in range(rng.randint(1, 2)):
            size = rng.randint(2, 3)
            if len(pool) < size:
                break
            group, pool = pool[:size], pool[size:]
            groups.append(sorted(group, key=params.index))
        # a group of one ties nothing, and a description refuses it: with fewer than 2 weights, distinct
        init = {"kind": "tied", "groups": groups} if groups else {"kind": "distinct"}
    else:
        layers = sorted({model.weight_layer[w] for w in model.weight_params})
        init = {"kind": "layers", "values": [rng.choice(("a", "1/2", "-1", "0", "b", "2")) for _ in layers]}
    if model.bias_params and rng.random() < 0.6:
        b = rng.choice(("zero", "distinct", "constant:1/2", "constant:a", "constant:-1", "layers"))
        if b == "layers":
            blayers = sorted({model.bias_layer[p] for p in model.bias_params})
            init["biases"] = {"kind": "layers", "values": [rng.choice(("0", "1/2", "a", "-1")) for _ in blayers]}
        else:
            init["biases"] = b
    return init


def to_doc(spec) -> dict:
    """The symgrad description (a dict) of ``spec``."""
    doc = {"name": f"audit{spec['index']}"}
    doc["inputs"] = spec["inputs"] if not spec["input_assume"] else {"count": spec["inputs"],
                                                                     "assume": spec["input_assume"]}
    layers = []
    for layer in spec["layers"]:
        out = {k: v for k, v in layer.items() if k not in ("bias",)}
        if layer["type"] != "softmax":
            out["bias"] = layer["bias"]
        layers.append(out)
    doc["layers"] = layers
    doc["objective"] = spec["objective"]
    if spec["shared"]:
        doc["parameters"] = {"shared": spec["shared"]}
    if spec["data"] is not None:
        doc["data"] = spec["data"]
    doc["init"] = spec["init"]
    if spec["symbols"]:
        doc["symbols"] = {k: (v if len(v) > 1 else v[0]) for k, v in spec["symbols"].items()}
    return doc


# ----------------------------------------------------------------------------------------------------------
# The auditor's own model of a network


@dataclass
class Unit:
    act: str
    edges: list  # (source unit, parameter index)
    bias: int | None  # parameter index


class Model:
    """This module's own model of ``spec``: units, edges, parameters, samples, init."""

    def __init__(self, spec):
        self.spec = spec
        n = spec["inputs"]
        self.input_names = [f"x{i + 1}" for i in range(n)]
        self.units: list[Unit | None] = [None] * n  # inputs: None
        outputs = {"inputs": [list(range(n))]}
        weight_edges = []  # weight number (1-based) -> list of (target unit, source unit)
        raw = {}  # unit -> list of (source, weight number) ; unit -> bias number
        bias_of, self.weight_layer, self.bias_layer = {}, {}, {}
        wbase, bcount = 0, 0
        prev = "inputs"
        acts = {}
        layer_no = 0
        self.logits = None
        for layer in spec["layers"]:
            if layer["type"] == "softmax":
                continue
            layer_no += 1
            act = layer.get("activation", "identity")
            if layer["type"] == "dense":
                srcs = layer.get("from") or [prev]
                flat = [u for s in srcs for ch in outputs[s] for u in ch]
                U = layer["units"]
                made = []
                for u in range(U):
                    unit = len(self.units)
                    self.units.append(None)
                    made.append(unit)
                    raw[unit] = [(src, wbase + s * U + u + 1) for s, src in enumerate(flat)]
                    acts[unit] = act
                    if layer["bias"]:
                        bcount += 1
                        bias_of[unit] = bcount
                        self.bias_layer[f"b{bcount}"] = layer_no
                for k in range(len(flat) * U):
                    self.weight_layer[f"w{wbase + k + 1}"] = layer_no
                wbase += len(flat) * U
                outputs[layer["name"]] = [made]
            else:
                chans = outputs[prev]
                C, L, K, Fn = len(chans), len(chans[0]), layer["size"], layer["filters"]
                P = L - K + 1
                made = []
                for f in range(Fn):
                    row = []
                    if layer["bias"]:
                        bcount += 1
                        self.bias_layer[f"b{bcount}"] = layer_no
                    for p in range(P):
                        unit = len(self.units)
                        self.units.append(None)
                        row.append(unit)
                        raw[unit] = [(chans[c][p + j], wbase + (c * K + j) * Fn + f + 1)
                                     for c in range(C) for j in range(K)]
                        acts[unit] = act
                        if layer["bias"]:
                            bias_of[unit] = bcount
                    made.append(row)
                for k in range(C * K * Fn):
                    self.weight_layer[f"w{wbase + k + 1}"] = layer_no
                wbase += C * K * Fn
                outputs[layer["name"]] = made
            prev = layer["name"]
        self.outputs = [u for ch in outputs[prev] for u in ch]
        self.weight_names = [f"w{k + 1}" for k in range(wbase)]
        alias = {}
        for group in spec.get("shared") or ():
            for other in group[1:]:
                alias[other] = group[0]
        self.weight_params = [w for w in self.weight_names if w not in alias]
        self.bias_params = [f"b{k + 1}" for k in range(bcount)]
        self.params = self.weight_params + self.bias_params
        index = {p: i for i, p in enumerate(self.params)}
        for w, a in alias.items():
            index[w] = index[a]
        for unit, edges in raw.items():
            self.units[unit] = Unit(acts[unit], [(s, index[f"w{k}"]) for s, k in edges],
                                    index[f"b{bias_of[unit]}"] if unit in bias_of else None)
        self.index = index
        obj = spec["objective"]
        k = len(self.outputs)
        if obj in ("squared_error", "cross_entropy", "perceptron"):
            self.target_names = ["t"] if k == 1 else [f"t{i + 1}" for i in range(k)]
        else:
            self.target_names = []
        self.acts = {u.act for u in self.units if u is not None}
        self.exact = not (self.acts & set(TRANSCENDENTAL)) and obj != "cross_entropy"
        self.has_sigma = "sigma" in self.acts

    # -- symbols, data, init ------------------------------------------------------------------------------
    def assumptions(self, name):
        if name in self.input_names:
            return self.spec["input_assume"] or []
        return self.spec["symbols"].get(name, [])

    def samples(self):
        """Each sample: name -> value string (absent: the name itself)."""
        data = self.spec["data"]
        return [dict(s) for s in data] if data is not None else [{}]

    def data_restricts_inputs(self) -> bool:
        """Some sample gives an input a value that is not just a free symbol standing for it: a number,
        an expression, a symbol assuming more than the input does, another input that the sample leaves
        free, one symbol for two inputs of the sample, or one symbol in two samples (an input that two
        samples leave as it is included)."""
        samples = self.samples()
        in_samples = Counter(v for s in samples for v in {s.get(x, x) for x in self.input_names + self.target_names})
        for s in samples:
            used = Counter(s.get(x, x) for x in self.input_names)
            for x in self.input_names:
                v = s.get(x, x)
                if in_samples[v] > 1:
                    return True
                if v == x:
                    continue
                if not re.fullmatch(r"[A-Za-z_]\w*", v) or used[v] > 1:
                    return True
                if set(self.spec["symbols"].get(v, [])) - set(self.assumptions(x)):
                    return True
                if v in self.input_names and v not in s:
                    return True
        return False

    def free_names(self):
        """Every symbol that the samples or init depend on."""
        names = set()
        for s in self.samples():
            for n in self.input_names + self.target_names:
                if n in s:
                    names |= set(re.findall(r"[A-Za-z_]\w*", s[n]))
                else:
                    names.add(n)
        for v in self.init_values():
            if isinstance(v, str):
                names.add(v)
        return sorted(names)

    def pinned_names(self):
        """Input/target names that no sample leaves free (and no value mentions)."""
        free = set()
        for s in self.samples():
            for n in self.input_names + self.target_names:
                if n in s:
                    free |= set(re.findall(r"[A-Za-z_]\w*", s[n]))
                else:
                    free.add(n)
        return [n for n in self.input_names + self.target_names if n not in free]

    def init_values(self):
        """Initial value of every parameter: a Fraction or a symbol name (str)."""
        init = self.spec["init"]
        if isinstance(init, str):
            init = {"kind": init}

        def read(v):
            v = str(v)
            return v if re.fullmatch(r"[A-Za-z_]\w*", v) else Q(v)

        def rule(r, params, layers_of):
            if isinstance(r, str):
                kind, _, arg = r.partition(":")
                r = {"kind": kind, **({"value": arg} if arg else {})}
            k = r["kind"]
            if k == "constant":
                return [read(r.get("value", "a"))] * len(params)
            if k == "zero":
                return [Q(0)] * len(params)
            if k == "distinct":
                return list(params)
            if k == "layers":
                order = sorted({layers_of[p] for p in params})
                by = dict(zip(order, map(read, r["values"])))
                return [by[layers_of[p]] for p in params]
            raise AssertionError(k)

        biases = init.get("biases")
        if init["kind"] == "tied":
            values = list(self.params)
            if biases is not None:
                values[len(self.weight_params):] = rule(biases, self.bias_params, self.bias_layer)
            for group in init["groups"]:
                for p in group:
                    values[self.params.index(p)] = group[0]
            return values
        weights = rule(init, self.weight_params, self.weight_layer)
        bvals = rule(biases if biases is not None else "zero", self.bias_params, self.bias_layer)
        return weights + bvals

    def random_env(self, rng):
        return {n: value_for(rng, self.assumptions(n)) for n in self.free_names()}

    def start(self, env, num):
        return [num(v) if isinstance(v, Q) else num(env[v]) for v in self.init_values()]

    def sample_values(self, env, num):
        """Per sample: (inputs list, targets list) in the number type ``num``."""
        out = []
        for s in self.samples():
            def val(n):
                return num(eval_value(s[n], env)) if n in s else num(env[n])
            out.append(([val(x) for x in self.input_names], [val(t) for t in self.target_names]))
        return out


def eval_value(text, env) -> Q:
    """A data value string: a number, a name, or k*name."""
    text = text.strip()
    m = re.fullmatch(r"(-?\d+)\*([A-Za-z_]\w*)", text)
    if m:
        return Q(int(m.group(1))) * Q(env[m.group(2)])
    if re.fullmatch(r"[A-Za-z_]\w*", text):
        return Q(env[text])
    return Q(text)


# ----------------------------------------------------------------------------------------------------------
# The auditor's own evaluators


class Exact:
    """Exact rationals."""
    name = "exact"

    @staticmethod
    def num(q):
        return Q(q)

    @staticmethod
    def exp(z):
        raise TypeError("not rational")

    tanh = log = exp

    @staticmethod
    def equal(a, b):
        return a == b

    @staticmethod
    def zero(a):
        return a == 0


class MPBackend:
    """mpmath at ``dps`` digits; equality within ``tol`` (relative to max(1, |a|, |b|))."""
    name = "mpmath"

    def __init__(self, dps, tol):
        self.dps, self.tol = dps, mpmath.mpf(tol)

    def num(self, q):
        q = Q(q)
        with mpmath.workdps(self.dps):
            return mpmath.mpf(q.numerator) / q.denominator

    @staticmethod
    def exp(z):
        return mpmath.exp(z)

    @staticmethod
    def tanh(z):
        return mpmath.tanh(z)

    @staticmethod
    def log(z):
        return mpmath.log(z)

    def equal(self, a, b):
        return abs(a - b) <= self.tol * max(1, abs(a), abs(b))

    def zero(self, a):
        return abs(a) <= self.tol


MP = MPBackend(MP_DPS, "1e-30")
# A claimed DIFFERENCE that looks like an equality at 50 digits (saturated tanh: 1 - tanh(90) ~ 1e-78) is
# re-examined at higher precision before it is called false.
# The last rung: symgrad's interval slopes certify differences of gradients near 1e-2477 (a tanh unit
# at z ~ 2850), which 800 digits with an absolute tolerance call equal.
MP_LADDER = (MP, MPBackend(150, "1e-125"), MPBackend(800, "1e-770"), MPBackend(6000, "1e-5990"))


def SIGMA(z):
    return z + z * z / 3 + Q(1, 5) if isinstance(z, Q) else z + z * z / 3 + z ** 0 / 5


def SIGMA_SLOPE(z):
    return 1 + 2 * z / 3


def act_value(act, z, B):
    if act == "identity":
        return z
    if act.startswith("relu"):
        return z if z > 0 else z * 0
    if act == "sigmoid":
        return 1 / (1 + B.exp(-z))
    if act == "tanh":
        return B.tanh(z)
    if act == "sigma":
        return SIGMA(z)
    raise AssertionError(act)


def act_slope(act, z, y, B):
    if act == "identity":
        return B.num(1)
    if act.startswith("relu"):
        h = Q(act.partition(":")[2] or 0)
        return B.num(1) if z > 0 else B.num(0) if z < 0 else B.num(h)
    if act == "sigmoid":
        return y * (1 - y)
    if act == "tanh":
        return 1 - y * y
    if act == "sigma":
        return SIGMA_SLOPE(z)
    raise AssertionError(act)


def kink_margin(model, params, samples, B):
    """The smallest |pre-activation| at a ReLU or at the perceptron's decision."""
    worst = math.inf
    for xs, ts in samples:
        zs, ys = forward(model, params, xs, B)
        for u, unit in enumerate(model.units):
            if unit is not None and unit.act.startswith("relu"):
                worst = min(worst, abs(float(zs[u])))
        if model.spec["objective"] == "perceptron":
            worst = min(worst, abs(float(ys[model.outputs[0]])))
    return worst


def forward(model, params, xs, B):
    zs, ys = {}, {}
    for i, x in enumerate(xs):
        ys[i] = x
    for u, unit in enumerate(model.units):
        if unit is None:
            continue
        z = params[unit.bias] if unit.bias is not None else B.num(0)
        for s, p in unit.edges:
            z = z + params[p] * ys[s]
        zs[u] = z
        ys[u] = act_value(unit.act, z, B)
    return zs, ys


def gradient(model, params, samples, B):
    """The full-batch gradient (summed over samples): own reverse mode."""
    grad = [B.num(0) for _ in params]
    obj = model.spec["objective"]
    for xs, ts in samples:
        zs, ys = forward(model, params, xs, B)
        out = [ys[u] for u in model.outputs]
        if obj == "output":
            dy = [B.num(1) for _ in out]
        elif obj == "squared_error":
            dy = [y - t for y, t in zip(out, ts)]
        elif obj == "perceptron":
            dy = [(B.num(1) if out[0] >= 0 else B.num(-1)) - ts[0]]
        else:
            top = max(out)
            es = [B.exp(a - top) for a in out]
            total = sum(es)
            ps = [e / total for e in es]
            mass = sum(ts)
            dy = [mass * p - t for p, t in zip(ps, ts)]  # d/da_k of -sum t_j log p_j
        delta = {u: B.num(0) for u in range(len(model.units))}
        for u, d in zip(model.outputs, dy):
            delta[u] = delta[u] + d
        for u in range(len(model.units) - 1, -1, -1):
            unit = model.units[u]
            if unit is None:
                continue
            dz = delta[u] * act_slope(unit.act, zs[u], ys[u], B)
            if unit.bias is not None:
                grad[unit.bias] += dz
            for s, p in unit.edges:
                grad[p] += dz * ys[s]
                if model.units[s] is not None:
                    delta[s] = delta[s] + dz * params[p]
    return grad


def torch_gradient(model, params, samples):
    """The same gradient by torch autograd in float64 (away from kinks)."""
    import torch

    w = torch.tensor([float(p) for p in params], dtype=torch.float64, requires_grad=True)
    obj = model.spec["objective"]
    total = 0
    for xs, ts in samples:
        ys = {i: torch.tensor(float(x), dtype=torch.float64) for i, x in enumerate(xs)}
        for u, unit in enumerate(model.units):
            if unit is None:
                continue
            z = w[unit.bias] if unit.bias is not None else torch.tensor(0.0, dtype=torch.float64)
            for s, p in unit.edges:
                z = z + w[p] * ys[s]
            a = unit.act
            ys[u] = (z if a == "identity" else torch.relu(z) if a.startswith("relu") else torch.sigmoid(z)
                     if a == "sigmoid" else torch.tanh(z) if a == "tanh" else z + z * z / 3 + 0.2)
        out = torch.stack([ys[u] for u in model.outputs])
        t = torch.tensor([float(v) for v in ts], dtype=torch.float64)
        if obj == "output":
            loss = out.sum()
        elif obj == "squared_error":
            loss = ((out - t) ** 2).sum() / 2
        elif obj == "perceptron":
            phi = (1.0 if out[0].item() >= 0 else -1.0)
            loss = (phi - t[0]) * out[0]
        else:
            loss = -(t * torch.log_softmax(out, 0)).sum()
        total = total + loss
    (g,) = torch.autograd.grad(total, w, allow_unused=True)
    return [0.0] * len(params) if g is None else g.tolist()


def backend(model):
    return Exact if model.exact else MP


def ladder(model):
    return (Exact,) if model.exact else MP_LADDER


def init_gradient(model, env, B):
    with mpmath.workdps(getattr(B, "dps", MP_DPS)):
        return gradient(model, model.start(env, B.num), model.sample_values(env, B.num), B)


def shown_different(model, test):
    """``test(B)`` is True when the claim of a difference holds with backend B; tries higher precision."""
    return any(test(B) for B in ladder(model))


def run_gd(model, env, lr, steps, B):
    """Exact (or 50-digit) full-batch gradient descent: the list of parameter vectors for t = 0..steps."""
    with mpmath.workdps(getattr(B, "dps", MP_DPS)):
        params = model.start(env, B.num)
        samples = model.sample_values(env, B.num)
        path = [params]
        lr = B.num(lr)
        for _ in range(steps):
            g = gradient(model, params, samples, B)
            params = [p - lr * d for p, d in zip(params, g)]
            path.append(params)
        return path


# ----------------------------------------------------------------------------------------------------------
# The audit


@dataclass
class Finding:
    kind: str
    message: str
    doc: dict


@dataclass
class Audit:
    checked: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    false: list = field(default_factory=list)
    networks: int = 0
    pairs: int = 0
    undecided: int = 0
    stationary_undecided: int = 0
    slow: list = field(default_factory=list)
    completed: int = 0

    def ok(self, kind, cond, message, doc):
        self.checked[kind] += 1
        if not cond:
            self.false.append(Finding(kind, message, doc))
        return cond

    def report_false(self, limit=40) -> str:
        """The false claims, one group per (kind, network), with the network's description."""
        groups = {}
        for f in self.false:
            groups.setdefault((f.kind, f.doc.get("name")), []).append(f)
        lines = [f"{len(self.false)} false claims in {len(groups)} groups"]
        for (kind, _), found in list(groups.items())[:limit]:
            lines.append(f"- {kind} (x{len(found)}): {found[0].message[:600]}")
            lines.append(f"    description: {found[0].doc}")
        if self.slow:
            lines.append(f"{len(self.slow)} networks skipped: sg.prove exceeded the time limit, e.g. {self.slow[0]}")
        return "\n".join(lines)

    def summary(self) -> str:
        per = ", ".join(f"{k} {self.checked[k]}" for k in KINDS)
        rate = 100.0 * self.undecided / self.pairs if self.pairs else 0.0
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items())) or "none"
        return (f"claims audit: {self.completed} networks (of {self.networks} generated), {sum(self.checked.values())} claims checked "
                f"(per kind: {per}), {len(self.false)} false, undecided pairs {self.undecided} of {self.pairs} "
                f"({rate:.1f}%), stationary undecided {self.stationary_undecided}; skipped: {skipped}")


def names_of(symbols):
    return [str(s) for s in symbols]


def env_from_point(model, point, audit, doc, kind, rng):
    """The point as name -> Fraction, checked against the assumptions and the data."""
    env, seen = {}, Counter(str(k) for k in point)
    dup = [n for n, c in seen.items() if c > 1]
    audit.ok(kind, not dup, f"point {point} gives several values to {dup}", doc)
    for k, v in point.items():
        v = sp.Rational(v)
        env[str(k)] = Q(int(v.p), int(v.q))
    bad = [n for n, v in env.items() if not satisfies(v, model.assumptions(n))]
    audit.ok(kind, not bad, f"point {point} violates the assumptions of {bad} "
             f"({[model.assumptions(n) for n in bad]})", doc)
    pinned = [n for n in model.pinned_names() if n in env]
    # a pinned name must agree with the value the data give it in every sample
    full = dict(env)
    for n in model.free_names():
        full.setdefault(n, value_for(rng, model.assumptions(n)))
    for n in pinned:
        vals = {eval_value(s[n], full) for s in model.samples()}
        audit.ok(kind, vals == {env[n]}, f"point {point} sets {n} = {env[n]}, but the data fix it to {vals}", doc)
    return full


def proof_classes(tuples):
    return [tuple(str(s) for s in t) for t in tuples]


class ProveTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise ProveTimeout()


def timed(seconds, fn, *args, **kw):
    """``fn(*args, **kw)``, or ProveTimeout after ``seconds`` of wall-clock time (SIGALRM, main thread)."""
    if not seconds:
        return fn(*args, **kw)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args, **kw)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def audit_network(spec, audit: Audit, rng: random.Random, gd_runs=3, points=3, grad_points=2, prove_seconds=8,
                  prover=None):
    """Check every claim symgrad makes about ``spec``; ``prover`` (default ``sg.prove``) lets a test feed
    corrupted proofs to show that the checks catch false claims."""
    prover = prover or sg.prove
    doc = to_doc(spec)
    model = Model(spec)
    desc = sg.describe(doc)
    net = desc.network
    audit.networks += 1
    B = backend(model)
    pnames = names_of(net.parameters)
    # numbering: our own model must name the same parameters, in the same order
    audit.ok("numbering", pnames == model.params and names_of(net.inputs) == model.input_names,
             f"parameters {pnames} / inputs {names_of(net.inputs)}, auditor expects {model.params}", doc)
    if pnames != model.params:
        return
    psym = {str(s): s for s in net.parameters}

    # 1. gradients at random points, against torch (and our own reverse mode against torch)
    d = sg.derive(net)
    exprs = [d.gradient(p) for p in net.parameters]
    for _ in range(grad_points):
        for attempt in range(20):
            env = model.random_env(rng)
            params = [Q(rng.randint(-7, 7), rng.choice((4, 5, 6))) for _ in model.params]
            samples = model.sample_values(env, Q)
            with mpmath.workdps(MP_DPS):
                margin = kink_margin(model, [B.num(p) for p in params], model.sample_values(env, B.num), B)
            if margin > 1e-3:
                break
        else:
            audit.skipped["gradient_at_kink"] += 1
            continue
        ref = torch_gradient(model, params, samples)
        if not all(math.isfinite(r) and abs(r) < 1e12 for r in ref):
            audit.skipped["gradient_overflow"] += 1
            continue
        with mpmath.workdps(MP_DPS):
            own = gradient(model, [B.num(p) for p in params], model.sample_values(env, B.num), B)
        subs = {**env, **dict(zip(model.params, params))}
        for i, expr in enumerate(exprs):
            rep = {s: sp.Rational(subs[str(s)].numerator, subs[str(s)].denominator)
                   for s in expr.free_symbols if str(s) in subs}
            e = expr.xreplace(rep)
            if model.has_sigma:
                z = sp.Dummy("z")
                e = e.replace(lambda f: isinstance(f, sp.core.function.AppliedUndef) and f.func.__name__ == "sigma",
                              lambda f: f.args[0] + f.args[0] ** 2 / 3 + sp.Rational(1, 5))
                e = e.doit()
            val = complex(sp.N(e, 40))
            tol = 1e-9 * max(1.0, abs(ref[i]))
            audit.ok("gradient", abs(val.imag) < 1e-12 and abs(val.real - ref[i]) <= tol,
                     f"d/d{model.params[i]} = {val} (symgrad) vs {ref[i]} (torch) at {subs}", doc)
            audit.ok("evaluator", abs(float(own[i]) - ref[i]) <= tol,
                     f"auditor's own gradient {float(own[i])} vs torch {ref[i]}", doc)

    # 2. proofs
    try:
        proof = timed(prove_seconds, prover, net, desc.init)
    except ProveTimeout:
        audit.skipped["prove_timeout"] += 1
        audit.slow.append(doc)
        return
    audit.completed += 1
    for attribute in ("at_init", "at_init_splits", "invariant", "stationary", "stationary_witness", "frozen",
                      "separations", "undecided", "initial_values"):
        # a missing attribute is a failed check, never a silent skip
        audit.ok("api", hasattr(proof, attribute), f"the proof has no attribute {attribute!r}", doc)
    mine = model.init_values()
    theirs = list(proof.initial_values)
    audit.ok("init_values", [str(v) for v in theirs] == [str(v) for v in mine],
             f"initial values {theirs}, auditor expects {mine}", doc)
    equal_init = [(i, j) for i in range(len(mine)) for j in range(i + 1, len(mine)) if mine[i] == mine[j]]
    audit.pairs += len(equal_init)
    audit.undecided += len(proof.undecided)

    # at_init: equal gradients at the initial point, at several points of our own
    classes = [c for c in proof_classes(proof.at_init) if len(c) > 1]
    for _ in range(points):
        env = model.random_env(rng)
        with mpmath.workdps(MP_DPS):
            g = gradient(model, model.start(env, B.num), model.sample_values(env, B.num), B)
        for c in classes:
            vals = [g[model.params.index(n)] for n in c]
            audit.ok("at_init", all(B.equal(vals[0], v) for v in vals[1:]),
                     f"at_init class {c}: gradients {[str(v) for v in vals]} at {env}", doc)

    # at_init splits: re-evaluate at the certificate
    for split in proof.at_init_splits:
        if split.point is None:
            audit.skipped["split_without_point"] += 1
            continue
        if model.has_sigma:
            audit.skipped["split_sigma"] += 1
            continue
        env = env_from_point(model, split.point, audit, doc, "at_init_split", rng)

        def test(B, split=split, env=env):
            g = init_gradient(model, env, B)
            return not B.equal(g[split.first], g[split.second])
        g = init_gradient(model, env, B)
        audit.ok("at_init_split", shown_different(model, test),
                 f"split {model.params[split.first]}/{model.params[split.second]} at {split.point}: "
                 f"both {g[split.first]}", doc)

    # GD runs from the init: invariant ties, frozen, stationary
    runs = []
    for _ in range(gd_runs):
        env = model.random_env(rng)
        lr = Q(rng.randint(1, 9), rng.choice((4, 8, 10, 16)))
        steps = rng.randint(3, 5) if model.exact else 3
        runs.append((env, lr, run_gd(model, env, lr, steps, B)))
    struct = timed(prove_seconds, prover, net, desc.init, engine="structural")
    for kind, pf in (("invariant", proof), ("structural_invariant", struct)):
        for c in proof_classes(pf.invariant):
            if len(c) < 2:
                continue
            idx = [model.params.index(n) for n in c]
            for env, lr, path in runs:
                bad = [t for t, w in enumerate(path) if not all(B.equal(w[idx[0]], w[i]) for i in idx[1:])]
                audit.ok(kind, not bad, f"{kind} class {c} breaks at step {bad[:1]} (lr {lr}, {env}): "
                         f"{[str(path[bad[0]][i]) for i in idx] if bad else ''}", doc)
    alg = {n: k for k, c in enumerate(proof_classes(proof.invariant)) for n in c}
    for c in proof_classes(struct.invariant):
        audit.ok("structural_finer", len({alg.get(n, n) for n in c}) == 1,
                 f"structural class {c} is coarser than the algebraic classes {proof.invariant}", doc)

    frozen = names_of(getattr(proof, "frozen"))
    for n in frozen:
        i = model.params.index(n)
        for env, lr, path in runs:
            audit.ok("frozen", all(B.equal(w[i], path[0][i]) for w in path),
                     f"frozen {n} moves: {[str(w[i]) for w in path]} (lr {lr}, {env})", doc)

    stationary = proof.stationary
    witness = getattr(proof, "stationary_witness")
    if stationary is True:
        for env, lr, path in runs:
            with mpmath.workdps(MP_DPS):
                g = gradient(model, path[0], model.sample_values(env, B.num), B)
            audit.ok("stationary_true", all(B.zero(v) for v in g) and all(
                B.equal(a, b) for w in path for a, b in zip(w, path[0])),
                f"stationary=True but gradient {[str(v) for v in g]} at {env}", doc)
    elif stationary is False:
        if model.has_sigma:
            audit.skipped["stationary_witness_sigma"] += 1
        elif audit.ok("stationary_false", witness is not None, "stationary=False without a witness", doc):
            param, point = witness[0], witness[1]
            env = env_from_point(model, point, audit, doc, "stationary_false", rng)
            i = model.params.index(str(param))
            audit.ok("stationary_false", shown_different(model, lambda B: not B.zero(init_gradient(model, env, B)[i])),
                     f"stationary witness {witness}: the gradient of {param} is {init_gradient(model, env, B)[i]}", doc)
    else:
        audit.stationary_undecided += 1

    # separations: trajectory witnesses
    for pf in (proof, struct):
        for sep in getattr(pf, "separations"):
            if model.has_sigma:
                audit.skipped["separation_sigma"] += 1
                continue
            env = env_from_point(model, sep.point, audit, doc, "separation", rng)
            lr = Q(int(sp.Rational(sep.lr).p), int(sp.Rational(sep.lr).q))
            path = run_gd(model, env, lr, int(sep.step), B)
            i, j = model.params.index(str(sep.first)), model.params.index(str(sep.second))
            before = [t for t in range(sep.step) if not B.equal(path[t][i], path[t][j])]

            def test(B, env=env, lr=lr, sep=sep, i=i, j=j):
                hi = run_gd(model, env, lr, int(sep.step), B)
                return not B.equal(hi[sep.step][i], hi[sep.step][j])
            cls = {n: k for k, c in enumerate(proof_classes(pf.invariant)) for n in c}
            audit.ok("separation", cls.get(str(sep.first), "first") != cls.get(str(sep.second), "second"),
                     f"separation {sep.first}/{sep.second} within one invariant class {pf.invariant}", doc)
            audit.ok("separation", not before and shown_different(model, test),
                     f"separation {sep.first}/{sep.second} claimed first at step {sep.step} (lr {sep.lr}, "
                     f"{sep.point}): values {[(str(w[i]), str(w[j])) for w in path]}", doc)

    # scope and text
    text = str(proof)
    if model.data_restricts_inputs():
        # "for every input with x2 = x1" names the data; a bare "every input" does not
        bare = re.findall(r"every input(?: and target)?(?! with)[^\n]{0,40}", text)
        audit.ok("scope_text", not bare, f"'every input' said with restricting data: {bare}", doc)
    else:
        audit.checked["scope_text"] += 1
    lines = [l for l in text.splitlines() if "free to move" in l]
    for n in frozen:
        audit.ok("frozen_text", not any(re.search(rf"\b{re.escape(n)}\b", l) for l in lines),
                 f"frozen {n} said to be free to move: {lines}", doc)


def run_audit(count: int, seed: int, audit: Audit | None = None, progress: int = 0, **kw) -> Audit:
    """Audit generated networks until ``count`` of them were proven within the time limit (networks
    whose proof times out are replaced by further ones, at most ``count`` of them)."""
    audit = audit or Audit()
    for k in range(2 * count):
        if audit.completed >= count:
            break
        rng = random.Random(seed * 1_000_003 + k)
        spec = random_spec(rng, k)
        try:
            audit_network(spec, audit, rng, **kw)
        except ProveTimeout:
            audit.skipped["prove_timeout"] += 1
            audit.slow.append(to_doc(spec))
        except Exception as error:  # a crash of symgrad on a valid description is a false claim too
            audit.ok("crash", False, f"{type(error).__name__}: {error}", to_doc(spec))
        if progress and (k + 1) % progress == 0:
            print(f"[{k + 1}] {audit.summary()}", flush=True)
    return audit
