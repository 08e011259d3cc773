"""``python -m afzender.cli``."""

import sys

from . import main

sys.exit(main())
