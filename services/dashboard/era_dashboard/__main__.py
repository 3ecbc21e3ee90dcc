"""``python -m era_dashboard``: the same as ``era dashboard``."""

from __future__ import annotations

import sys

from era_dashboard.service import main

if __name__ == "__main__":
    sys.exit(main())
