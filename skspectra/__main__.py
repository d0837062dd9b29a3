"""Allow ``python -m skspectra``."""

from skspectra.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
