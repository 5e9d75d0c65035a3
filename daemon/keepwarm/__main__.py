"""Entry point for ``python -m keepwarm``."""

import sys

from keepwarm.cli import main

sys.exit(main())
