import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from hypothesis import HealthCheck, settings  # noqa: E402

# Derandomised: every run (and CI) checks the same generated networks, so a
# failure is reproducible (set derandomize=False locally to explore further).
settings.register_profile("symgrad", deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("symgrad")


def pytest_configure(config):
    """Load symgrad's pytest plugin from a bare checkout (once symgrad is
    installed, its ``pytest11`` entry point loads it)."""
    if not config.pluginmanager.has_plugin("symgrad"):
        import symgrad.pytest_plugin

        config.pluginmanager.register(symgrad.pytest_plugin, "symgrad")


@pytest.fixture
def torch_float64():
    """torch's default dtype float64 for one test, restored after it (a module
    asks for it with ``pytestmark``; a global change would leak into other tests)."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)
