"""`python -m tfir`: the `tfir` command."""

import sys

from tfir.cli import main

if __name__ == "__main__":
    sys.exit(main())
