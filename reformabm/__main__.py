"""``python -m reformabm``: the same as the ``reformabm`` command."""

import sys

from reformabm.cli import main

sys.exit(main())
