"""Proofs of ties: deciding equality, witnesses, partitions, the algebraic and structural
engines, frozen parameters and trajectory witnesses, with their records (``Proof``)."""
