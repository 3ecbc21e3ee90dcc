"""The adjustments of one transaction set, kept compact until they are asked for.

While an 835 is walked, nothing is built per adjustment: a closed claim is recorded once, with its
CAS triplets (claim level, and per service line) as :data:`~.loops.CasItem` tuples, and so is
each PLB segment with its adjustment pairs. Each record also keeps the transaction header fields
(payer, payee, trace, ...) as they were when it was recorded. At SE the set is sealed (event ids
and fingerprint); the records then become adjustment dicts (:meth:`CompactAdjustments.dicts`) or
JSON lines (:func:`.jsonl.json_lines`), with the same content either way.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from .levels import LEVEL_FIELDS, MODIFIERS, RARCS, Level, claim_levels
from .loops import Adjustment, CasItem, Claim
from .speedups import finish_ids, provisional_ids
from .startup import cast
from .validation import ZERO, add, subtract

ID_SEPARATOR = "\x1f"
"""Joins the parts hashed into an event id."""

PlbItem = tuple[int, int, str, str, str, str, str | None]
"""One PLB adjustment pair: (segment_no, pair index, reason composite and amount as written,
CARC, amount without its ``+``, PLB reference)."""

Header = Adjustment
"""The transaction header fields of an adjustment: a dict with every Adjustment field, those
that do not come from the header left ``None``. Never changed once recorded (the walker
replaces it instead), so records share it."""


class CompactAdjustments:
    """The adjustments of one transaction set, in file order, as claims and PLB segments.

    ``records`` holds ``(header, claim)`` for each claim with at least one CAS triplet, and
    ``(header, [PlbItem, ...])`` for each PLB segment. After :meth:`seal`, ``event_ids`` holds
    the final id of every adjustment, in order; ``balance_error`` is the transaction's balance
    error, carried by every adjustment that has no claim or line error.
    """

    __slots__ = ("balance_error", "count", "event_ids", "records", "remittance_event_id")

    def __init__(self) -> None:
        self.records: list[tuple[Header, Claim | list[PlbItem]]] = []
        self.event_ids: list[str] = []
        self.balance_error: str | None = None
        self.remittance_event_id: str | None = None  # set with the claims' ids (.summary)
        self.count = 0

    def __len__(self) -> int:
        return self.count

    def add_claim(self, header: Header, claim: Claim) -> None:
        """Record a closed claim whose adjustments copy ``header``; a no-op without CAS."""
        count = len(claim.cas)
        for line in claim.lines:
            count += len(line.cas)
        if count:
            self.records.append((header, claim))
            self.count += count

    def add_plb(self, header: Header, items: list[PlbItem]) -> None:
        """Record the adjustment pairs of one PLB segment."""
        if items:
            self.records.append((header, items))
            self.count += len(items)

    def seal(self, id_prefix: str, st_segment_no: int) -> str:
        """Compute the event ids and return the set's fingerprint.

        Each adjustment's provisional id hashes ``id_prefix`` (sender, receiver, ISA13, GS06,
        ST02), its segment's position in the set (ST = 1), its triplet/pair index and its
        content (CLP01, CLP07, group, code, amount; for PLB the reason composite and amount as
        written). The fingerprint hashes the prefix and all provisional ids; each final id
        hashes fingerprint + provisional id. So an id names an adjustment *of this exact set*: a
        re-sent identical set gives the same ids (and fingerprint), a set that reuses control
        numbers with any other content gives all new ids, never a mix.
        """
        buffer = bytearray()
        offset = st_segment_no - 1
        for _, source in self.records:
            if isinstance(source, Claim):
                fields = source.fields
                content = f"{fields['claim_id'] or ''}\x1f{fields['payer_claim_id'] or ''}\x1f"
                if source.cas:
                    provisional_ids(buffer, id_prefix, offset, content, source.cas, False)
                for line in source.lines:
                    if line.cas:
                        provisional_ids(buffer, id_prefix, offset, content, line.cas, False)
            else:
                provisional_ids(buffer, id_prefix, offset, "", source, True)
        fingerprint, self.event_ids = finish_ids(id_prefix, buffer)
        return fingerprint

    def dicts(self) -> list[Adjustment]:
        """The adjustment dicts (Adjustment fields in schema order), each with its own lists."""
        out: list[Adjustment] = []
        ids = iter(self.event_ids)
        error = self.balance_error
        for header, source in self.records:
            if isinstance(source, Claim):
                claim_dicts(header, source, ids, error, out)
            else:
                plb_dicts(header, source, ids, error, out, self.remittance_event_id)
        return out


PER_ADJUSTMENT = ("event_id", "segment_no", "group_code", "carc", "amount", "quantity")
"""The fields that differ between the adjustments of one claim level or service line."""


def claim_templates(
    header: Header, claim: Claim, transaction_error: str | None
) -> tuple[Adjustment, list[Level]]:
    """The claim's fields (every Adjustment field, schema order: ``header`` with the claim's
    :data:`~.loops.CLAIM_FIELDS` over it; :data:`PER_ADJUSTMENT` and :data:`LEVEL_FIELDS` as in
    ``header``) and its :func:`.levels.claim_levels`."""
    base = header.copy()
    base.update(claim.fields)
    return base, claim_levels(claim, transaction_error)


def claim_dicts(
    header: Header,
    claim: Claim,
    ids: Iterator[str],
    transaction_error: str | None,
    out: list[Adjustment],
) -> None:
    """Append the adjustment dicts of ``claim`` (claim level, then line by line) to ``out``,
    taking their event ids from the iterator ``ids``."""
    next_id = ids.__next__
    append = out.append
    base, levels = claim_templates(header, claim, transaction_error)
    for values, cas in levels:
        template = base.copy()
        template.update(zip(LEVEL_FIELDS, values, strict=True))
        modifiers = cast("list[str]", values[MODIFIERS])
        rarcs = cast("list[str]", values[RARCS])
        last = cas[-1]
        for item in cas:
            segment_no, _, group, reason, amount, quantity = item
            # the last (usually the only) triplet takes the template itself: one copy less
            adjustment = template if item is last else template.copy()
            adjustment["event_id"] = next_id()
            adjustment["segment_no"] = segment_no
            adjustment["group_code"] = group
            adjustment["carc"] = reason
            adjustment["amount"] = amount
            adjustment["quantity"] = quantity
            adjustment["modifiers"] = modifiers.copy()  # each adjustment owns its lists
            adjustment["rarcs"] = rarcs.copy()
            append(adjustment)


def plb_dicts(  # noqa: PLR0917 - the hot path passes them positionally
    header: Header,
    items: list[PlbItem],
    ids: Iterator[str],
    transaction_error: str | None,
    out: list[Adjustment],
    remittance_event_id: str | None = None,
) -> None:
    """Append the provider-level adjustment dicts of one PLB segment to ``out``."""
    next_id = ids.__next__
    for segment_no, _, _, _, carc, amount, reference in items:
        adjustment = header.copy()
        adjustment["event_id"] = next_id()
        adjustment["segment_no"] = segment_no
        adjustment["level"] = "provider"
        adjustment["carc"] = carc
        adjustment["amount"] = amount
        adjustment["plb_reference"] = reference
        adjustment["modifiers"] = []
        adjustment["rarcs"] = []
        if adjustment["balance_error"] is None:
            adjustment["balance_error"] = transaction_error
        adjustment["remittance_event_id"] = remittance_event_id
        out.append(adjustment)


PREDETERMINATION = "25"
"""CLP02 of a predetermination (pricing only, no payment): its adjustments carry estimates."""
ESTIMATE_CARC = "101"
"""CARC 101: predetermination, anticipated payment upon completion of services."""


def _estimate(cas: list[CasItem], charge: Decimal, cas_total: Decimal) -> str:
    total: Decimal | None = None
    for item in cas:
        if item[3] == ESTIMATE_CARC:
            total = add(total if total is not None else ZERO, Decimal(item[4]))
    return str(total if total is not None else subtract(charge, cas_total))


def set_estimates(claim: Claim) -> None:
    """Set the payer's estimated payment of a predetermination (CLP02 = 25) claim
    (``fields["estimated_payment"]``) and of each of its lines (``estimate``): the CARC 101
    amounts, else the charge minus the adjustments."""
    every_cas = list(claim.cas)
    for line in claim.lines:
        every_cas.extend(line.cas)
        line.estimate = _estimate(line.cas, line.charge_value, line.cas_total)
    claim.fields["estimated_payment"] = _estimate(every_cas, claim.charge_value, claim.cas_total)
