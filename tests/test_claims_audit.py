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
