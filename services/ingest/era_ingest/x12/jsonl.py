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

from .adjustments import CompactAdjustments, Header, plb_dicts, submitted_procedure
from .loops import Claim

encode = json.JSONEncoder(check_circular=False, separators=(",", ":")).encode
"""``encode(value) -> str``: compact ASCII JSON, as ``era parse --format jsonl`` writes it."""
TYPE_CHECKING = False  # typing itself is not imported at run time
if TYPE_CHECKING:

    def _str(value: object) -> str:
        """JSON of a string (only strings are given to it)."""

else:
    _str = encode_basestring_ascii
_HEAD = ("file", "implementation", "interchange", "functional_group", "transaction")
_PAYER = ("payer_name", "payer_id", "payee_name", "payee_npi", "trace", "remit_date")
_CLAIM_LEVEL = (
    '"level":"claim","line":null,"procedure":null,"modifiers":[],"units":null,'
    '"line_charge":null,"line_paid":null,"allowed_amount":null,"service_date":'
)


def _number(value: object) -> str:
    """JSON of a validated number (or date) kept as text, or ``None``."""
    return "null" if value is None else f'"{value}"'


def _optional(value: object) -> str:
    """JSON of a string or ``None``."""
    return "null" if value is None else _str(value)


def _strings(values: list[str]) -> str:
    """JSON of a list of strings."""
    return f"[{','.join(map(_str, values))}]" if values else "[]"


def _fields(header: Header, keys: tuple[str, ...]) -> str:
    """``"key":value,...`` of ``keys``, as ``json`` writes them inside the adjustment."""
    return encode({key: header[key] for key in keys})[1:-1]


def _claim_json(claim: Claim, payer: str) -> str:
    """``,payer_name .. member_id,`` of a claim's adjustments (``payer`` is the JSON of
    payer_name .. remit_date). Strings or ``None``, except the validated amounts."""
    f = claim.fields
    claim_id, status, responsibility = f["claim_id"], f["claim_status"], f["patient_responsibility"]
    indicator, payer_claim_id = f["claim_filing_indicator"], f["payer_claim_id"]
    name, member = f["patient_name"], f["member_id"]
    responsibility = "null" if responsibility is None else f'"{responsibility}"'  # validated
    return (
        f',{payer},"claim_id":{"null" if claim_id is None else _str(claim_id)},'
        f'"claim_status":{"null" if status is None else _str(status)},'
        f'"claim_charge":"{f["claim_charge"]}","claim_paid":"{f["claim_paid"]}",'
        f'"patient_responsibility":{responsibility},'
        f'"claim_filing_indicator":{"null" if indicator is None else _str(indicator)},'
        f'"payer_claim_id":{"null" if payer_claim_id is None else _str(payer_claim_id)},'
        f'"patient_name":{"null" if name is None else _str(name)},'
        f'"member_id":{"null" if member is None else _str(member)},'
    )


def json_lines(adjustments: CompactAdjustments) -> list[str]:
    """One compact JSON object per adjustment of a sealed set, in order, without newlines."""
    out: list[str] = []
    append = out.append
    ids = iter(adjustments.event_ids)
    next_id = ids.__next__
    transaction_error = adjustments.balance_error
    remittance_id = adjustments.remittance_event_id
    header: Header | None = None
    head = payer = tin = ""
    for record_header, source in adjustments.records:
        if record_header is not header:
            header = record_header
            head = _fields(header, _HEAD)
            payer = _fields(header, _PAYER)
            tin = _fields(header, ("payee_tin",))
        if not isinstance(source, Claim):
            dicts: list[dict[str, object]] = []
            plb_dicts(header, source, ids, transaction_error, dicts, remittance_id)
            out.extend(map(encode, dicts))
            continue
        claim = source
        shared = _claim_json(claim, payer)
        reversal = "true" if claim.fields["reversal"] else "false"
        claim_error = claim.balance_error
        claim_date = claim.date
        claim_rarcs = claim.rarcs
        carrier = claim.fields["crossover_carrier"]
        carrier = "null" if carrier is None else _str(carrier)
        claim_estimate = claim.fields["estimated_payment"]
        ids_json = (
            f',{tin},"claim_event_id":{_optional(claim.fields.get("claim_event_id"))},'
            f'"remittance_event_id":{_optional(claim.fields.get("remittance_event_id"))}'
        )
        if claim.cas:
            error = claim_error or transaction_error
            middle = f"{shared}{_CLAIM_LEVEL}{_number(claim_date)}"
            tail = (
                f'"rarcs":{_strings(claim_rarcs)},"plb_reference":null,"reversal":{reversal},'
                f'"balance_error":{"null" if error is None else _str(error)},"ingested_at":null,'
                f'"crossover_carrier":{carrier},"estimated_payment":{_number(claim_estimate)}'
                f',"line_control_number":null,"submitted_procedure":null{ids_json}'
            )
            for segment_no, _, group, reason, amount, quantity in claim.cas:
                number = "null" if quantity is None else f'"{quantity}"'
                append(
                    f'{{"event_id":"{next_id()}",{head},"segment_no":{segment_no}{middle},'
                    f'"group_code":{_str(group)},"carc":{_str(reason)},"amount":"{amount}",'
                    f'"quantity":{number},{tail}}}'
                )
        for line in claim.lines:
            if not line.cas:
                continue
            modifiers = line.modifiers
            allowed = line.allowed
            allowed = "null" if allowed is None else '"' + allowed + '"'
            date = line.date or line.date_150 or claim_date
            date = "null" if date is None else '"' + date + '"'
            rarcs = line.rarcs
            if claim_rarcs:
                rarcs = rarcs + [code for code in claim_rarcs if code not in rarcs]
            error = line.balance_error or claim_error or transaction_error
            middle = (
                f'{shared}"level":"line","line":{line.index},"procedure":{_str(line.procedure)},'
                f'"modifiers":{_strings(modifiers) if modifiers else "[]"},'
                f'"units":"{line.units}","line_charge":"{line.charge}",'
                f'"line_paid":"{line.paid}",'
                f'"allowed_amount":{allowed},"service_date":{date}'
            )
            tail = (
                f'"rarcs":{_strings(rarcs) if rarcs else "[]"},"plb_reference":null,'
                f'"reversal":{reversal},'
                f'"balance_error":{"null" if error is None else _str(error)},"ingested_at":null,'
                f'"crossover_carrier":{carrier},"estimated_payment":{_number(line.estimate)}'
                f',"line_control_number":{_optional(line.control_number)},'
                f'"submitted_procedure":{_optional(submitted_procedure(line))}{ids_json}'
            )
            for segment_no, _, group, reason, amount, quantity in line.cas:
                number = "null" if quantity is None else f'"{quantity}"'
                append(
                    f'{{"event_id":"{next_id()}",{head},"segment_no":{segment_no}{middle},'
                    f'"group_code":{_str(group)},"carc":{_str(reason)},"amount":"{amount}",'
                    f'"quantity":{number},{tail}}}'
                )
    return out
