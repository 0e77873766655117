"""Tensor-level lint for real PyTorch models: captured aten graphs, colour refinement
over tensors (hash, then verify), zero analysis, and the findings built on them."""

from .verdicts import Finding
from .lint import lint, supported_ops
from .result import LintResult

__all__ = ["lint", "supported_ops", "LintResult", "Finding"]
