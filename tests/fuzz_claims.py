"""A long run of the independent claims audit: SYMGRAD_AUDIT_NETWORKS networks
(default 1,000), seed SYMGRAD_AUDIT_SEED (default 1). Not collected by default
(the name does not match test_*.py); run it with

    .venv/bin/python -m pytest -p no:cacheprovider -s tests/fuzz_claims.py
"""
import os

import claims_auditor as ca


def test_claims_audit_fuzz():
    count = int(os.environ.get("SYMGRAD_AUDIT_NETWORKS", "1000"))
    seed = int(os.environ.get("SYMGRAD_AUDIT_SEED", "1"))
    audit = ca.run_audit(count, seed, prove_seconds=float(os.environ.get("SYMGRAD_AUDIT_PROVE_SECONDS", "20")),
                         progress=100)
    print()
    print(audit.summary())
    print(audit.report_false())
    missing = [kind for kind in ca.KINDS if not audit.checked[kind]]
    assert not missing, f"claim kinds never checked: {missing}"
    assert not audit.false, audit.report_false()
    assert audit.undecided < 0.02 * audit.pairs, f"undecided pairs {audit.undecided} of {audit.pairs}: 2% or more"
