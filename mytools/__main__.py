"""``python -m mytools …``: the command line (see :mod:`mytools.cli`)."""
from __future__ import annotations

import sys

from mytools.cli import main

if __name__ == "__main__":
    sys.exit(main())
