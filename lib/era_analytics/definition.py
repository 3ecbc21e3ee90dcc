"""The denial definition, once (docs/observability.md, "Denial analytics").

- A claim is **adjudicated** when its CLP02 is 1, 2, 3 (processed as primary, secondary,
  tertiary), 4 (denied), 19, 20, 21 (processed and forwarded) or 23 (not our claim, forwarded);
  reversals (22), predeterminations (25) and any other status are not.
- An adjudicated claim is **denied** when its CLP02 is 4, or when every service line is denied:
  paid 0 with a denial-category adjustment (its own, or one at claim level). Denial-category:
  the CARC's category is coverage, coding_documentation, authorization, timely_filing,
  bundling or duplicate (any group), or coordination_of_benefits with group CO or PI (CO-22:
  bill the other plan first; not OA-23, the prior payer's adjudication). A claim without
  service lines is denied when it paid 0 with a denial-category claim adjustment.
- The **dominant denial adjustment** of a denied claim is its denial-category adjustment with
  the largest amount (the first of equals, in file order); a claim denied by CLP02 4 without
  one takes its largest adjustment. Its CARC and upstream cause are the claim's (the cause as
  the classifier gives it: the code's, or verification for a PR surprise).
- A denied claim's **denied amount** is its charge minus its payment (CLP03 - CLP04); its
  **appealable amount** is the sum of its appealable denial-category adjustments.
- The **denial rate** of a group of claims is denied / adjudicated.

Input are the dicts of the contract (``era.events.Claim`` and ``era.events.Adjustment``), as
ingest publishes them and `era parse --records` prints them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from era_analytics.codes import NO_CAUSE, appealable, is_denial, upstream_cause

ADJUDICATED_STATUSES: Final = frozenset({"1", "2", "3", "4", "19", "20", "21", "23"})
DENIED_STATUS: Final = "4"
UNKNOWN: Final = "unknown"
NO_CARC: Final = "none"

Record = Mapping[str, object]


def _money(value: object) -> Decimal:
    try:
        result = Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
    return result if result.is_finite() else Decimal(0)


@dataclass(frozen=True, slots=True)
class ClaimVerdict:
    """What the definition says about one claim (no claim or patient identifiers kept)."""

    payer: str
    payee_npi: str | None
    remit_date: str | None
    adjudicated: bool
    denied: bool
    carc: str  # the dominant denial adjustment's CARC, NO_CARC when not denied
    upstream_cause: str  # its upstream cause, NO_CAUSE when none is known or not denied
    denied_amount: Decimal
    appealable_amount: Decimal


def judge(claim: Record, adjustments: Sequence[Record]) -> ClaimVerdict:
    """Apply the definition to one claim and the claim and line adjustments that name it
    (``claim_event_id``; others are ignored)."""
    event_id = claim.get("event_id")
    mine = [
        a
        for a in adjustments
        if a.get("claim_event_id") == event_id and a.get("level") != "provider"
    ]
    status = str(claim.get("claim_status") or "")
    adjudicated = status in ADJUDICATED_STATUSES
    denials = [a for a in mine if is_denial(a.get("group_code"), a.get("carc"))]
    denied = adjudicated and (status == DENIED_STATUS or _all_lines_denied(claim, mine, denials))
    npi, remit = claim.get("payee_npi"), claim.get("remit_date")
    carc, cause = NO_CARC, NO_CAUSE
    denied_amount = appealable_amount = Decimal(0)
    if denied:
        dominant = _largest(denials) or _largest(mine)
        if dominant is not None:
            carc = str(dominant.get("carc") or NO_CARC)
            cause = upstream_cause(dominant.get("group_code"), carc) or NO_CAUSE
        denied_amount = _money(claim.get("charge")) - _money(claim.get("paid"))
        for adjustment in denials:
            if appealable(adjustment.get("group_code"), adjustment.get("carc")):
                appealable_amount += _money(adjustment.get("amount"))
    return ClaimVerdict(
        payer=str(claim.get("payer_id") or UNKNOWN),
        payee_npi=str(npi) if npi else None,
        remit_date=str(remit) if remit else None,
        adjudicated=adjudicated,
        denied=denied,
        carc=carc,
        upstream_cause=cause,
        denied_amount=denied_amount,
        appealable_amount=appealable_amount,
    )


def _all_lines_denied(claim: Record, mine: Sequence[Record], denials: Sequence[Record]) -> bool:
    denial_ids = {a.get("event_id") for a in denials}
    claim_level = any(a.get("level") == "claim" for a in denials)
    lines = claim.get("lines")
    if not isinstance(lines, list) or not lines:
        return claim_level and _money(claim.get("paid")) == 0
    for line in lines:
        if not isinstance(line, Mapping) or _money(line.get("paid")) != 0:
            return False
        ids = line.get("adjustment_event_ids")
        own = isinstance(ids, list) and any(i in denial_ids for i in ids)
        if not (own or claim_level):
            return False
    return True


def _largest(adjustments: Iterable[Record]) -> Record | None:
    best: Record | None = None
    best_amount = Decimal(0)
    for adjustment in adjustments:
        amount = abs(_money(adjustment.get("amount")))
        if best is None or amount > best_amount:
            best, best_amount = adjustment, amount
    return best


def judge_all(claims: Iterable[Record], adjustments: Iterable[Record]) -> list[ClaimVerdict]:
    """Judge every claim, each with the adjustments that name it (a join on
    ``claim_event_id``); claims in their given order."""
    by_claim: dict[object, list[Record]] = {}
    for adjustment in adjustments:
        by_claim.setdefault(adjustment.get("claim_event_id"), []).append(adjustment)
    return [judge(claim, by_claim.get(claim.get("event_id"), [])) for claim in claims]
