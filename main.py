"""Start AudioXAI from a checkout: ``python main.py [audio file]``."""

import sys

from audioxai_gui.ui.app import run_app

if __name__ == "__main__":
    sys.exit(run_app(sys.argv[1:]))
