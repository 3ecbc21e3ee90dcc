"""`era explain FILE...`: parse, classify and route offline (no broker) and say why.

The same classifier and router the workers run, with the whole claim in view (so CO-45
hidden-denial and underpayment checks see every sibling adjustment), and the classifier's linker
over the files of the run in the order given (a reversal in the second file names the original
of the first, a PLB recoupment the claim it takes back). Exit status, problem lines and
``--strict`` as `era parse`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, TextIO

from era_classifier.claim_status import ClaimReading
from era_classifier.classification import Classifier
from era_classifier.links import Linker, forwarding_balances
from era_classifier.service import CONFIGURATION_ERRORS, build_classifier
from era_classifier.settings import ClassifierSettings
from era_cli.commands.parse import EXIT_STATUS, ParsedInputs, add_strict_argument, strict_default
from era_cli.output import TableWriter
from era_contract.vocabulary import ROUTES
from era_router.routing import Router
from era_router.service import build_router
from era_router.settings import RouterSettings
from era_streams.state import MemoryStore

TABLE_COLUMNS = ("claim", "line", "code", "amount", "action", "route", "link", "why")


def register(subparsers: Any) -> None:
    """Add the ``explain`` command."""
    parser = subparsers.add_parser(
        "explain",
        help="parse, classify and route 835 files offline and explain every decision",
        description="Parse, classify and route 835 files offline and explain every decision. "
        + EXIT_STATUS,
    )
    parser.add_argument("files", nargs="+", metavar="FILE")
    add_strict_argument(parser)
    parser.add_argument("--format", choices=("jsonl", "table"), default="table")
    parser.set_defaults(func=run)


def explain(
    adjustments: Iterable[dict[str, Any]],
    classifier: Classifier,
    router: Router,
    linker: Linker | None = None,
) -> Iterator[dict[str, Any]]:
    """Classified, linked (with ``linker``) and routed records, in input order (one
    transaction set at a time; pass the same ``linker`` for every set of a run)."""
    batch = list(adjustments)
    linker = linker or Linker(MemoryStore())
    for adjustment, fields in zip(batch, classifier.classify_claim(batch), strict=True):
        record = {**adjustment, **linker.link(adjustment).apply(fields)}
        record.update(router.route(record).fields())
        yield record


def run(args: argparse.Namespace) -> int:
    """Explain every adjustment of ``args.files``; return the exit status."""
    try:
        classifier = build_classifier(ClassifierSettings())
        router = build_router(RouterSettings())
    except CONFIGURATION_ERRORS as exc:
        print(f"era explain: invalid configuration: {exc}", file=sys.stderr)
        return 2
    strict = strict_default() if args.strict is None else args.strict
    transactions = ParsedInputs(args.files, sys.stderr, strict=strict)
    store = MemoryStore()
    linker = Linker(store)
    records = (
        record
        for txn in transactions
        for record in explain(txn.adjustments, classifier, router, linker)
    )
    if args.format == "jsonl":
        for record in records:
            sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
    else:
        _write_table(records, sys.stdout)
        _write_forwarding(forwarding_balances(store.data.items()), sys.stdout)
    return transactions.exit_status()


def _write_forwarding(balances: dict[str, Decimal], out: TextIO) -> None:
    if balances:
        out.write("\nopen forwarding balances (PLB FB not yet taken back), per payer:\n")
        for payer, amount in sorted(balances.items()):
            out.write(f"  {payer:<30} {amount:>14}\n")


def _links(record: dict[str, Any]) -> str:
    """The links of a record, for the table: ``reverses <event id>`` etc. (short ids)."""
    words = []
    for name, label in (
        ("reverses_event_id", "reverses"),
        ("corrects_claim_event_id", "corrects claim"),
        ("matched_claim_id", "claim"),
    ):
        value = record.get(name)
        if value:
            words.append(f"{label} {str(value)[:12]}")
    if "original_not_seen" in (record.get("flags") or []):
        words.append("original not seen")
    return ", ".join(words)


def _write_table(records: Iterable[dict[str, Any]], out: TextIO) -> None:
    table = TableWriter(TABLE_COLUMNS, max_width=90)
    per_route: dict[str, tuple[int, Decimal]] = {}
    per_claim: dict[str, Decimal] = {}
    read_as: dict[str, str] = {}
    for record in records:
        group = record.get("group_code")
        code = f"{group}-{record['carc']}" if group else f"PLB {record['carc']}"
        claim = record.get("claim_id") or f"(provider {record.get('trace') or ''})"
        table.add(
            {
                "claim": claim,
                "line": record.get("line"),
                "code": code,
                "amount": record["amount"],
                "action": record["action"],
                "route": record["route"],
                "link": _links(record),
                "why": record["explanation"],
            }
        )
        amount = Decimal(str(record["amount"]))
        count, total = per_route.get(record["route"], (0, Decimal(0)))
        per_route[record["route"]] = (count + 1, total + amount)
        per_claim[claim] = per_claim.get(claim, Decimal(0)) + amount
        read_as.setdefault(claim, ClaimReading.of_record(record).describe())
    table.write(out)
    out.write("\nper route:\n")
    for route in ROUTES:
        count, total = per_route.get(route, (0, Decimal(0)))
        out.write(f"  {route:<20} {count:>7} adjustments  {total:>14}\n")
    out.write(f"\nper claim ({len(per_claim)} claims), with the status it was read under:\n")
    for claim, total in per_claim.items():
        out.write(f"  {claim:<30} {total:>14}  {read_as[claim]}\n")
