"""``python -m era_router``: the router worker (same as ``era worker router``)."""

from __future__ import annotations

import sys

from era_router.service import main

if __name__ == "__main__":
    sys.exit(main())
