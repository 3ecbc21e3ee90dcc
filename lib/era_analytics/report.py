"""The rows of `era report --by DIMENSIONS`: claims grouped by location, payer, CARC and
upstream cause, with their denial rate.

``location`` and ``payer`` split the claims; ``carc`` and ``upstream_cause`` split only the
denied ones (by their dominant denial adjustment): such a row's ``claims`` are all adjudicated
claims of its location and payer, so its ``denial_rate`` is that cause's share of the group's
rate and the rows of one group add up to the group's rate. A group without denied claims shows
one row with ``-`` for them. Without ``location`` the rows cover every location (``all``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from era_analytics.definition import ClaimVerdict
from era_analytics.locations import LocationMap

DIMENSIONS: Final = ("location", "payer", "carc", "upstream_cause")
SPLITS: Final = ("location", "payer")
ALL: Final = "all"
NOT_DENIED: Final = "-"
COUNTS: Final = (
    "claims",
    "denied_claims",
    "denial_rate",
    "above_threshold",
    "denied_amount",
    "appealable_amount",
)


def parse_dimensions(text: str) -> tuple[str, ...]:
    """``location,payer`` → the dimensions in canonical order; ValueError names a bad one."""
    asked = [d.strip() for d in text.split(",") if d.strip()]
    if not asked:
        raise ValueError(f"expected one or more of {','.join(DIMENSIONS)}")
    for dimension in asked:
        if dimension not in DIMENSIONS:
            raise ValueError(
                f"unknown dimension {dimension!r}: expected some of {','.join(DIMENSIONS)}"
            )
    return tuple(d for d in DIMENSIONS if d in asked)


@dataclass(slots=True)
class _Tally:
    claims: int = 0
    denied: dict[tuple[str, ...], list[Decimal]] = field(default_factory=dict)


@dataclass(slots=True)
class DenialReport:
    """Adds up claim verdicts into the report's groups."""

    by: tuple[str, ...]
    locations: LocationMap = field(default_factory=LocationMap)
    since: str | None = None  # ISO date: only claims remitted on or after it
    _groups: dict[tuple[str, ...], _Tally] = field(default_factory=dict)

    def add(self, verdict: ClaimVerdict) -> None:
        """Count one claim (not adjudicated, or remitted before ``since``: left out)."""
        if not verdict.adjudicated:
            return
        if self.since is not None and (verdict.remit_date or "") < self.since:
            return
        npi = verdict.payee_npi or ""
        key = (
            npi if "location" in self.by else ALL,
            verdict.payer if "payer" in self.by else ALL,
        )
        tally = self._groups.setdefault(key, _Tally())
        tally.claims += 1
        if verdict.denied:
            causes = tuple(getattr(verdict, d) for d in ("carc", "upstream_cause") if d in self.by)
            sums = tally.denied.setdefault(causes, [Decimal(0), Decimal(0), Decimal(0)])
            sums[0] += 1
            sums[1] += verdict.denied_amount
            sums[2] += verdict.appealable_amount

    def add_all(self, verdicts: Iterable[ClaimVerdict]) -> DenialReport:
        """Count every verdict; the report itself, for chaining."""
        for verdict in verdicts:
            self.add(verdict)
        return self

    def columns(self) -> tuple[str, ...]:
        """The columns of every row, in order."""
        return ("location", "payee_npi", *(d for d in self.by if d != "location"), *COUNTS)

    def rows(self, threshold: float) -> list[dict[str, object]]:
        """One row per group: money as decimal strings with cents, the rate rounded to 4 places;
        ``above_threshold`` compares the exact rate with ``threshold``."""
        limit = Decimal(str(threshold))
        causes = [d for d in ("carc", "upstream_cause") if d in self.by]
        out: list[dict[str, object]] = []
        for (npi, payer), tally in self._groups.items():
            location = self.locations.name(npi or None) if "location" in self.by else ALL
            head: dict[str, object] = {"location": location, "payee_npi": npi}
            if "payer" in self.by:
                head["payer"] = payer
            denied = tally.denied or {tuple(NOT_DENIED for _ in causes): [Decimal(0)] * 3}
            if not causes:
                totals = [sum((s[i] for s in denied.values()), Decimal(0)) for i in range(3)]
                denied = {(): totals}
            for values, (count, amount, appealable) in denied.items():
                rate = count / tally.claims
                row: dict[str, object] = {**head}
                row.update(zip(causes, values, strict=True))
                row.update(
                    claims=tally.claims,
                    denied_claims=int(count),
                    denial_rate=float(round(rate, 4)),
                    above_threshold=rate > limit,
                    denied_amount=money_text(amount),
                    appealable_amount=money_text(appealable),
                )
                out.append(row)
        return sorted(out, key=lambda r: _order(r, causes))


CENTS: Final = Decimal("0.01")


def money_text(amount: Decimal) -> str:
    """A sum of dollars as a decimal string with cents (``"1200.00"``); finer digits, which
    X12 amounts may carry, are kept."""
    cents = amount.quantize(CENTS)
    return str(cents if cents == amount else amount)


def _order(row: dict[str, object], causes: Sequence[str]) -> tuple[object, ...]:
    return (
        str(row["location"]),
        str(row["payee_npi"]),
        str(row.get("payer", "")),
        -int(str(row["denied_claims"])),
        *(str(row[c]) for c in causes),
    )
