"""``python -m analysis`` runs the ``leadkit`` command."""

import sys

from .cli import main

sys.exit(main())
