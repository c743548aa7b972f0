"""``python -m minimom``: the command line (see :mod:`minimom.cli`)."""

import sys

from .cli import main

sys.exit(main())
