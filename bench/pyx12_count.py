"""Count adjustments in an 835 file with pyx12's loop-aware reader (run by parse_bench.py).

Runs inside the benchmark's own pyx12 venv, never the project's. Counts the same thing as
``era parse``: one per CAS triplet (claim loop 2100 and service loop 2110) and one per PLB
adjustment pair. Prints ``adjustments segments`` on stdout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyx12.error_handler
import pyx12.params
import pyx12.x12context

CAS_REASONS = ("CAS02", "CAS05", "CAS08", "CAS11", "CAS14", "CAS17")
PLB_PAIRS = ("PLB03", "PLB05", "PLB07", "PLB09", "PLB11", "PLB13")


def _triplets(node: pyx12.x12context.X12DataNode) -> int:
    return sum(1 for ref in CAS_REASONS if node.get_value(ref))


def count(path: str) -> tuple[int, int]:
    """Adjustments and top-level nodes seen while iterating claim loops of ``path``."""
    param = pyx12.params.params()
    errh = pyx12.error_handler.errh_null()
    adjustments = nodes = 0
    with Path(path).open(encoding="ascii") as fd:
        reader = pyx12.x12context.X12ContextReader(param, errh, fd)
        for node in reader.iter_segments("2100"):
            nodes += 1
            if node.id == "2100":
                for cas in node.select("CAS"):
                    adjustments += _triplets(cas)
                for line in node.select("2110"):
                    for cas in line.select("CAS"):
                        adjustments += _triplets(cas)
            elif node.id == "PLB":
                adjustments += sum(1 for ref in PLB_PAIRS if node.get_value(ref))
    return adjustments, nodes


if __name__ == "__main__":
    found, seen = count(sys.argv[1])
    print(found, seen)
