"""The independent claims audit (tests/claims_auditor.py) on 60 generated networks.

Derandomised (a fixed seed): every run checks the same networks. Every kind of
claim must have been checked at least once, and no claim may be false.
"""
import claims_auditor as ca

NETWORKS = 60
SEED = 20240601


def test_every_kind_of_claim_holds_on_generated_networks():
    audit = ca.run_audit(NETWORKS, SEED, prove_seconds=4)
    print()
    print(audit.summary())
    print(audit.report_false())
    missing = [kind for kind in ca.KINDS if not audit.checked[kind]]
    assert not missing, f"claim kinds never checked: {missing}\n{audit.summary()}"
    assert audit.networks >= NETWORKS - audit.skipped["prove_timeout"]
    assert not audit.false, audit.report_false()


TOY = {"index": 0, "inputs": 2, "input_assume": None, "objective": "output", "symbols": {}, "shared": [],
       "data": None, "init": {"kind": "constant", "value": "a"},
       "layers": [{"type": "dense", "units": 2, "activation": "identity", "bias": False, "name": "L1"},
                  {"type": "dense", "units": 2, "activation": "identity", "bias": False, "name": "L2"},
                  {"type": "dense", "units": 1, "activation": "identity", "bias": False, "name": "L3"}]}


class Corrupted:
    """A real proof with some claims replaced by false ones."""

    def __init__(self, proof, **false):
        self._proof, self._false = proof, false

    def __getattr__(self, name):
        return self._false[name] if name in self._false else getattr(self._proof, name)

    def __str__(self):
        return str(self._proof)


def test_the_auditor_catches_false_claims():
    """The checks are not vacuous: corrupted proofs of the toy network are caught, kind by kind."""
    import random

    import sympy as sp

    import symgrad as sg

    w = sp.symbols("w1:11")
    x1, x2, a = sp.symbols("x1 x2 a")
    honest = ca.Audit()
    ca.audit_network(TOY, honest, random.Random(1))
    assert not honest.false, honest.report_false()
    first = sg.prove(*(lambda d: (d.network, d.init))(sg.describe(ca.to_doc(TOY))))
    split = type(first.at_init_splits[0])
    separation = type(first.separations[0])
    lies = {
        "at_init": {"at_init": [(w[0], w[2])]},
        "invariant": {"invariant": [(w[0], w[1], w[2], w[3])]},
        "stationary_true": {"stationary": True},
        "frozen": {"frozen": (w[8],)},
        "at_init_split": {"at_init_splits": (split(first=0, second=1, point={a: 1, x1: 2, x2: 3}, values=(0, 1)),)},
        "separation": {"separations": (separation(first=w[0], second=w[2], step=3, lr=sp.Rational(1, 4),
                                                  point={a: 1, x1: 2, x2: 3}, arithmetic="exact"),)},
        "stationary_false": {"stationary_witness": (w[0], {a: 0, x1: 2, x2: 3}, 1)},
        "api": {},
    }
    class Missing(Corrupted):
        def __getattr__(self, name):
            if name == "frozen":
                raise AttributeError(name)
            return getattr(self._proof, name)

    for kind, false in lies.items():
        def prover(net, init, engine="algebraic", false=false, kind=kind):
            proof = sg.prove(net, init, engine=engine)
            if engine != "algebraic":
                return proof
            return Missing(proof) if kind == "api" else Corrupted(proof, **false)
        audit = ca.Audit()
        try:
            ca.audit_network(TOY, audit, random.Random(1), prover=prover)
        except AttributeError as error:  # run_audit records this as a crash; the api check comes first
            audit.ok("crash", False, str(error), {})
        assert any(f.kind == kind for f in audit.false), (kind, audit.report_false())
