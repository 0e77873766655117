import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("symgrad", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("symgrad")
