"""`era parse --records claims|remittances`: the Claim and Remittance records of each set.

``jsonl`` writes one compact JSON object per claim (with its ``lines``) or per transaction set,
the same dicts ingest publishes to ``era.claims`` and ``era.remittances``; ``table`` writes one
row per claim and one per service line (claims), or one row per set (remittances), then totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from era_cli.output import TableWriter
from era_ingest.x12 import ParsedTransaction
from era_ingest.x12.jsonl import encode
from era_ingest.x12.startup import TextIO  # no typing import at start-up

Record = dict[str, object]

CLAIM_COLUMNS = (
    "file",
    "claim",
    "status",
    "line",
    "procedure",
    "charge",
    "paid",
    "allowed",
    "adjusted",
    "control_number",
    "service_date",
    "payer_claim_id",
)
REMITTANCE_COLUMNS = (
    "file",
    "transaction",
    "trace",
    "payer",
    "method",
    "payment_date",
    "total_paid",
    "claims",
    "claims_paid",
    "provider_adj",
    "balance",
)


def records(transactions: Iterable[ParsedTransaction], kind: str) -> Iterator[Record]:
    """The ``claims`` or ``remittances`` records of every set, in file order."""
    for txn in transactions:
        if kind == "claims":
            yield from txn.claims
        else:
            remittance = txn.remittance
            if remittance is not None:
                yield remittance


def write_jsonl(transactions: Iterable[ParsedTransaction], kind: str, out: TextIO) -> None:
    """One compact JSON object per record."""
    write = out.write
    for record in records(transactions, kind):
        write(encode(record))
        write("\n")


def write_table(transactions: Iterable[ParsedTransaction], kind: str, out: TextIO) -> None:
    """Aligned rows, then a totals line."""
    if kind == "claims":
        _claims_table(records(transactions, kind), out)
    else:
        _remittances_table(records(transactions, kind), out)


def _procedure(line: Record) -> str:
    modifiers = line["modifiers"]
    extra = [str(m) for m in modifiers] if isinstance(modifiers, list) else []
    return ":".join([str(line["procedure"]), *extra])


def _claims_table(claims: Iterable[Record], out: TextIO) -> None:
    table = TableWriter(CLAIM_COLUMNS)
    count = lines = 0
    charge = paid = Decimal(0)
    for claim in claims:
        count += 1
        charge += Decimal(str(claim["charge"]))
        paid += Decimal(str(claim["paid"]))
        table.add(
            {
                "file": claim["file"],
                "claim": claim["claim_id"],
                "status": claim["claim_status"],
                "charge": claim["charge"],
                "paid": claim["paid"],
                "adjusted": len(_ids(claim)),
                "service_date": claim["statement_from"],
                "payer_claim_id": claim["payer_claim_id"],
            }
        )
        claim_lines = claim["lines"]
        assert isinstance(claim_lines, list)
        for line in claim_lines:
            lines += 1
            table.add(
                {
                    "line": line["line"],
                    "procedure": _procedure(line),
                    "charge": line["charge"],
                    "paid": line["paid"],
                    "allowed": line["allowed"],
                    "adjusted": len(_ids(line)),
                    "control_number": line["line_control_number"],
                    "service_date": line["service_date"],
                }
            )
    table.write(out)
    out.write(f"\n{count} claims, {lines} service lines, charge {charge}, paid {paid}\n")


def _ids(record: Record) -> list[object]:
    ids = record["adjustment_event_ids"]
    return ids if isinstance(ids, list) else []


def _remittances_table(remittances: Iterable[Record], out: TextIO) -> None:
    table = TableWriter(REMITTANCE_COLUMNS)
    count = 0
    total = Decimal(0)
    for remittance in remittances:
        count += 1
        total += Decimal(str(remittance["total_paid"]))
        table.add(
            {
                "file": remittance["file"],
                "transaction": remittance["transaction"],
                "trace": remittance["trace"],
                "payer": remittance["payer_name"] or remittance["payer_id"],
                "method": remittance["payment_method"],
                "payment_date": remittance["payment_date"],
                "total_paid": remittance["total_paid"],
                "claims": remittance["claim_count"],
                "claims_paid": remittance["claims_paid"],
                "provider_adj": remittance["provider_adjustments"],
                "balance": "ok" if remittance["balance_error"] is None else "OUT OF BALANCE",
            }
        )
    table.write(out)
    out.write(f"\n{count} transaction sets (checks/EFTs), total paid {total}\n")
