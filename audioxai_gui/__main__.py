"""``python -m audioxai_gui``: the app, or a sub-command (explain, train, models)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
