"""Contracted fee schedule for the CO-45 underpayment check (format: docs/fee-schedule.md).

A CSV with the columns ``payer_id``, ``procedure``, ``contracted_amount`` and optionally
``payee_npi`` (one location). Loaded and validated once; ``lookup`` is a few dict probes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType

REQUIRED_COLUMNS = ("payer_id", "procedure", "contracted_amount")
OPTIONAL_COLUMNS = ("payee_npi",)


class FeeScheduleError(ValueError):
    """The fee-schedule file cannot be used; the message names the file, line and problem."""


def bare_procedure(procedure: str) -> str:
    """``AD:D2740`` -> ``D2740``; a code without qualifier is returned unchanged (upper case)."""
    procedure = procedure.strip().upper()
    return procedure.split(":", 1)[1] if ":" in procedure else procedure


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Contracted allowed amount per unit, by (payer_id, procedure, payee_npi or "")."""

    entries: Mapping[tuple[str, str, str], Decimal]
    source: str = "<memory>"

    def lookup(self, payer_id: str, procedure: str, payee_npi: str | None = None) -> Decimal | None:
        """The contracted amount for one unit, most specific match first.

        A row with a ``payee_npi`` beats one without; a row written with the qualifier
        (``AD:D2740``) beats one written bare (``D2740``), which matches any qualifier.
        """
        full = procedure.strip().upper()
        bare = bare_procedure(full)
        get = self.entries.get
        for npi in ((payee_npi or "").strip(), "") if payee_npi else ("",):
            for proc in (full, bare) if full != bare else (full,):
                amount = get((payer_id, proc, npi))
                if amount is not None:
                    return amount
        return None

    def __len__(self) -> int:
        return len(self.entries)


def parse_fee_schedule(text: str, source: str = "<memory>") -> FeeSchedule:
    """Validate and index a fee-schedule CSV; every problem found is reported at once."""
    lines = text.splitlines()
    numbered = [
        (i, ln)
        for i, ln in enumerate(lines, start=1)
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not numbered:
        raise FeeScheduleError(
            f"{source}: empty file; expected a header {','.join(REQUIRED_COLUMNS)}"
        )
    header_line, header_text = numbered[0]
    header = [h.strip() for h in next(csv.reader([header_text]))]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise FeeScheduleError(
            f"{source}:{header_line}: expected the columns {', '.join(REQUIRED_COLUMNS)} "
            f"(optional: {', '.join(OPTIONAL_COLUMNS)}), got {', '.join(header)}"
        )
    errors: list[str] = []
    entries: dict[tuple[str, str, str], Decimal] = {}
    seen_at: dict[tuple[str, str, str], int] = {}
    for line, raw in numbered[1:]:
        values = next(csv.reader(io.StringIO(raw)))
        if len(values) != len(header):
            errors.append(f"{source}:{line}: expected {len(header)} columns, got {len(values)}")
            continue
        row = {k: v.strip() for k, v in zip(header, values, strict=True)}
        payer, procedure = row["payer_id"], row["procedure"].upper()
        npi = row.get("payee_npi", "")
        if not payer or not procedure:
            errors.append(f"{source}:{line}: payer_id and procedure must not be empty")
            continue
        try:
            amount = Decimal(row["contracted_amount"])
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite() or amount < 0:
            errors.append(
                f"{source}:{line}: column contracted_amount: expected a non-negative decimal "
                f"such as 125.50, got {row['contracted_amount']!r}"
            )
            continue
        key = (payer, procedure, npi)
        if key in seen_at:
            errors.append(
                f"{source}:{line}: payer {payer}, procedure {procedure}"
                f"{', payee_npi ' + npi if npi else ''} already given on line {seen_at[key]}"
            )
            continue
        seen_at[key] = line
        entries[key] = amount
    if errors:
        raise FeeScheduleError("\n".join(errors))
    return FeeSchedule(MappingProxyType(entries), source)


def load_fee_schedule(path: str | Path) -> FeeSchedule:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FeeScheduleError(f"{path}: cannot read the fee schedule: {exc}") from exc
    return parse_fee_schedule(text, str(path))
