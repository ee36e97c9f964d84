"""`python -m xero_sandbox`: serve the local Xero (see README.md in this folder)."""

import signal
import sys

from .cli import main

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main(sys.argv[1:]))
