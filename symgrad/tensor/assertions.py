"""pytest-style assertions on real models: fail with the finding and its evidence."""

from .lint import lint


def _fail(findings):
    raise AssertionError("\n".join(f"{f.message}\n    evidence: {f.evidence}" for f in findings))


def assert_no_persistent_ties(model, inputs, **kw):
    """Fail if any trainable weights of ``model`` are proven tied forever; return the result.

    >>> import torch
    >>> assert_no_persistent_ties(torch.nn.Linear(3, 2), torch.randn(4, 3), loss=torch.nn.MSELoss(),
    ...                           targets=torch.randn(4, 2)).ok
    True
    """
    __tracebackhide__ = True
    result = lint(model, inputs, **kw)
    ties = [f for f in result.findings if f.kind == "tied"]
    if ties:
        _fail(ties)
    return result


def assert_no_frozen_parameters(model, inputs, **kw):
    """Fail if any trainable parameter of ``model`` is proven never to move; return the result."""
    __tracebackhide__ = True
    result = lint(model, inputs, **kw)
    frozen = [f for f in result.findings if f.kind == "frozen"]
    if frozen:
        _fail(frozen)
    return result
