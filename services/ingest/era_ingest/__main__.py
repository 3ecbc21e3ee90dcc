"""``python -m era_ingest [DIR]``: the drop-folder service (same as ``era ingest --watch DIR``)."""

from __future__ import annotations

import sys

from era_ingest.service import main

if __name__ == "__main__":
    sys.exit(main())
