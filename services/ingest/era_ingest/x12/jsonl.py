"""JSON lines straight from the compact adjustments of a transaction set.

:func:`json_lines` gives, byte for byte, what ``json`` (compact separators, ASCII output) makes
of each dict of :meth:`.adjustments.CompactAdjustments.dicts`, without building those dicts:
the JSON of the fields an adjustment shares with its transaction header, claim and service line
is made once per header, claim and line, and only the event id, segment number, group, reason,
amount and quantity are spliced in per adjustment. Amounts, quantities, units and dates are
written between quotes as they are: the parser only keeps them once validated (digits, one
point, a sign), so they need no escaping. PLB adjustments (a few per set) go through ``json``.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii

from .adjustments import CompactAdjustments, Header, line_rarcs, plb_dicts
from .loops import Claim

encode = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
"""``encode(value) -> str``: compact ASCII JSON, as ``era parse --format jsonl`` writes it."""
_str = encode_basestring_ascii
_HEAD = ("file", "implementation", "interchange", "functional_group", "transaction")
_PAYER = ("payer_name", "payer_id", "payee_name", "payee_npi", "trace", "remit_date")
_CLAIM_LEVEL = (
    '"level":"claim","line":null,"procedure":null,"modifiers":[],"units":null,'
    '"line_charge":null,"line_paid":null,"allowed_amount":null,"service_date":'
)


def _text(value: object) -> str:
    """JSON of a field that is a string or ``None``."""
    return "null" if value is None else _str(value)  # type: ignore[arg-type]


def _number(value: object) -> str:
    """JSON of a validated number (or date) kept as text, or ``None``."""
    return "null" if value is None else f'"{value}"'


def _strings(values: list[str]) -> str:
    """JSON of a list of strings."""
    return f"[{','.join(map(_str, values))}]" if values else "[]"


def _fields(header: Header, keys: tuple[str, ...]) -> str:
    """``"key":value,...`` of ``keys``, as ``json`` writes them inside the adjustment."""
    return encode({key: header[key] for key in keys})[1:-1]


def _claim_json(claim: Claim) -> str:
    """claim_id .. member_id of a claim's adjustments."""
    f = claim.fields
    return (
        f'"claim_id":{_text(f["claim_id"])},"claim_status":{_text(f["claim_status"])},'
        f'"claim_charge":{_number(f["claim_charge"])},'
        f'"claim_paid":{_number(f["claim_paid"])},'
        f'"patient_responsibility":{_number(f["patient_responsibility"])},'
        f'"claim_filing_indicator":{_text(f["claim_filing_indicator"])},'
        f'"payer_claim_id":{_text(f["payer_claim_id"])},'
        f'"patient_name":{_text(f["patient_name"])},"member_id":{_text(f["member_id"])}'
    )


def json_lines(adjustments: CompactAdjustments) -> list[str]:
    """One compact JSON object per adjustment of a sealed set, in order, without newlines."""
    out: list[str] = []
    append = out.append
    ids = adjustments.event_ids
    transaction_error = adjustments.balance_error
    position = 0
    header: Header | None = None
    head = payer = ""
    for record_header, source in adjustments.records:
        if record_header is not header:
            header = record_header
            head = _fields(header, _HEAD)
            payer = _fields(header, _PAYER)
        if not isinstance(source, Claim):
            dicts: list[dict[str, object]] = []
            plb_dicts(header, source, iter(ids[position:]), transaction_error, dicts)
            out.extend(map(encode, dicts))
            position += len(dicts)
            continue
        claim = source
        shared = f"{payer},{_claim_json(claim)}"
        reversal = "true" if claim.fields["reversal"] else "false"
        claim_error = claim.balance_error
        if claim.cas:
            middle = f"{shared},{_CLAIM_LEVEL}{_number(claim.date)}"
            tail = (
                f'"rarcs":{_strings(claim.rarcs)},"plb_reference":null,"reversal":{reversal},'
                f'"balance_error":{_text(claim_error or transaction_error)},"ingested_at":null'
            )
            for segment_no, _, group, reason, amount, quantity in claim.cas:
                number = "null" if quantity is None else f'"{quantity}"'
                append(
                    f'{{"event_id":"{ids[position]}",{head},"segment_no":{segment_no},{middle},'
                    f'"group_code":{_str(group)},"carc":{_str(reason)},"amount":"{amount}",'
                    f'"quantity":{number},{tail}}}'
                )
                position += 1
        for line in claim.lines:
            if not line.cas:
                continue
            modifiers = line.modifiers
            middle = (
                f'{shared},"level":"line","line":{line.index},"procedure":{_text(line.procedure)},'
                f'"modifiers":{_strings(modifiers) if modifiers else "[]"},'
                f'"units":"{line.units}","line_charge":"{line.charge}",'
                f'"line_paid":"{line.paid}","allowed_amount":{_number(line.allowed)},'
                f'"service_date":{_number(line.date or line.date_150 or claim.date)}'
            )
            error = line.balance_error or claim_error or transaction_error
            tail = (
                f'"rarcs":{_strings(line_rarcs(claim, line))},"plb_reference":null,'
                f'"reversal":{reversal},"balance_error":{_text(error)},"ingested_at":null'
            )
            for segment_no, _, group, reason, amount, quantity in line.cas:
                number = "null" if quantity is None else f'"{quantity}"'
                append(
                    f'{{"event_id":"{ids[position]}",{head},"segment_no":{segment_no},{middle},'
                    f'"group_code":{_str(group)},"carc":{_str(reason)},"amount":"{amount}",'
                    f'"quantity":{number},{tail}}}'
                )
                position += 1
    return out
