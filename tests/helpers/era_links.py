"""The hand-written link fixtures (tests/data/links/) and how to read them: two files of one
payer, the originals first, then a reversal with its correction, a reversal whose original was
never sent, and a PLB with a WO recoupment and a forwarding balance."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from era_ingest.x12 import ParsedTransaction, parse_path

LINKS = Path(__file__).resolve().parents[1] / "data" / "links"
ORIGINAL = LINKS / "links-1-original.835"
REVERSAL = LINKS / "links-2-reversal.835"
FILES = (ORIGINAL, REVERSAL)


def adjustments(*paths: Path) -> list[dict[str, Any]]:
    """Every adjustment of ``paths``, in file order, as the parser gives them."""
    return [
        adjustment
        for path in paths
        for item in parse_path(path)
        if isinstance(item, ParsedTransaction)
        for adjustment in item.adjustments
    ]


def by_claim(rows: list[dict[str, Any]]) -> dict[tuple[str | None, str, str, str], dict[str, Any]]:
    """Rows by (CLP01 or ``None``, CLP02 or PLB code, group, amount): unique in the fixtures."""
    return {
        (
            r["claim_id"],
            r["claim_status"] or r["carc"],
            r["group_code"] or r["carc"],
            r["amount"],
        ): r
        for r in rows
    }
