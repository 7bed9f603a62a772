"""``python -m analysis`` runs the ``leadkit`` command."""

import sys

from analysis.cli import main

sys.exit(main())
