import os
import sys

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
