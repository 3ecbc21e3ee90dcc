"""``python -m era_classifier``: the classifier worker (same as ``era worker classifier``)."""

from __future__ import annotations

import sys

from era_classifier.service import main

if __name__ == "__main__":
    sys.exit(main())
