"""``python -m symgrad``: the command line."""
import sys

try:
    from .cli import main
except KeyboardInterrupt:   # Ctrl-C while Python was still starting up: quiet, as at any other moment
    sys.exit(130)

sys.exit(main())
