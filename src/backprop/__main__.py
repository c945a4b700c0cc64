"""python -m backprop: the same as the backprop command."""

import sys

from .cli import main

sys.exit(main())
