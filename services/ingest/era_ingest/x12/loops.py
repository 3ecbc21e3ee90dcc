"""The loops of an 835 as the parser keeps them: claims (2100) and service lines (2110).

Adjustments are plain dicts with exactly the ``Adjustment`` fields of ``docs/events.md``
(:data:`ADJUSTMENT_FIELDS`, schema order; ``ingested_at`` left ``None``). Until they are asked
for, a claim keeps its CAS triplets as :data:`CasItem` tuples next to the fields they share
(see :mod:`.adjustments`): no dict per adjustment on the hot path.
"""

from __future__ import annotations

from decimal import Decimal

from .validation import ZERO

Adjustment = dict[str, object]
# (segment_no, triplet index, group code, reason code, amount, quantity)
CasItem = tuple[int, int, str, str, str, str | None]

ADJUSTMENT_FIELDS: tuple[str, ...] = (
    "event_id",
    "file",
    "implementation",
    "interchange",
    "functional_group",
    "transaction",
    "segment_no",
    "payer_name",
    "payer_id",
    "payee_name",
    "payee_npi",
    "trace",
    "remit_date",
    "claim_id",
    "claim_status",
    "claim_charge",
    "claim_paid",
    "patient_responsibility",
    "claim_filing_indicator",
    "payer_claim_id",
    "patient_name",
    "member_id",
    "level",
    "line",
    "procedure",
    "modifiers",
    "units",
    "line_charge",
    "line_paid",
    "allowed_amount",
    "service_date",
    "group_code",
    "carc",
    "amount",
    "quantity",
    "rarcs",
    "plb_reference",
    "reversal",
    "balance_error",
    "ingested_at",
    "crossover_carrier",
    "estimated_payment",
    "line_control_number",
    "submitted_procedure",
    "payee_tin",
    "claim_event_id",
    "remittance_event_id",
)
"""The Adjustment fields of docs/events.md, in schema order."""

CLAIM_FIELDS: tuple[str, ...] = (
    "claim_id",
    "claim_status",
    "claim_charge",
    "claim_paid",
    "patient_responsibility",
    "claim_filing_indicator",
    "payer_claim_id",
    "patient_name",
    "member_id",
    "reversal",
    "crossover_carrier",
    "estimated_payment",
    "claim_event_id",
    "remittance_event_id",
)
"""The keys of :attr:`Claim.fields`: the Adjustment fields a claim sets over its transaction
header's."""

KNOWN_SEGMENTS = frozenset(
    {
        *("BPR", "NTE", "TRN", "CUR", "REF", "DTM", "N1", "N2", "N3", "N4", "PER", "RDM"),
        *("LX", "TS3", "TS2", "CLP", "CAS", "NM1", "MIA", "MOA", "AMT", "QTY", "SVC", "LQ"),
        "PLB",
    },
)
_ALT_COMPONENT_SEPARATORS = ">:^"
MOA_REMARKS = (3, 4, 5, 6, 7)
"""MOA elements holding claim remark codes (MOA03-07)."""
MIA_REMARKS = (5, 20, 21, 22, 23)
"""MIA elements holding claim remark codes (MIA05, MIA20-23)."""


def split_composite(value: str, component: str) -> list[str]:
    """Split a composite element such as SVC01 or PLB03.

    Pragmatic about senders whose ISA16 does not match what they write: when the declared
    separator does not occur but the 2-character qualifier is followed by one of ``> : ^``, the
    value is split on that character instead (LinuxForHealth samples write ``HC>12345>26`` while
    declaring ``:``). This is not reported as a problem.
    """
    if component in value:
        return value.split(component)
    if len(value) > 3 and value[2] in _ALT_COMPONENT_SEPARATORS:
        return value.split(value[2])
    return [value]


class ServiceLine:
    """What one SVC loop (2110) contributes to its adjustments."""

    __slots__ = (
        "allowed",
        "balance_error",
        "cas",
        "cas_total",
        "charge",
        "charge_value",
        "control_number",
        "date",
        "date_150",
        "date_151",
        "estimate",
        "index",
        "location",
        "modifiers",
        "paid",
        "paid_value",
        "procedure",
        "rarcs",
        "segment_no",
        "submitted",
        "units",
    )

    def __init__(  # noqa: PLR0917 - one line's fields, set once on the hot path
        self,
        segment_no: int,
        index: int,
        procedure: str,
        modifiers: list[str],
        charge: str,
        paid: str,
        charge_value: Decimal,
        paid_value: Decimal,
        units: str,
    ) -> None:
        self.segment_no = segment_no
        self.index = index
        self.procedure = procedure
        self.modifiers = modifiers
        self.charge = charge
        self.paid = paid
        self.charge_value = charge_value
        self.paid_value = paid_value
        self.units = units
        self.allowed: str | None = None
        self.date: str | None = None
        self.date_150: str | None = None
        self.cas: list[CasItem] = []
        self.cas_total = ZERO
        self.rarcs: list[str] = []
        self.balance_error: str | None = None
        self.estimate: str | None = None  # predeterminations only (CLP02 = 25)
        self.control_number: str | None = None  # REF*6R
        self.location: str | None = None  # REF*LU
        self.date_151: str | None = None
        self.submitted: list[str] | None = None  # SVC06 split: qualifier, code, modifiers


class ClaimExtra:
    """What a claim carries beyond its adjustments' fields: CLP08/CLP09, the DTM*233/050
    dates, the crossover carrier (NM1*TT), the rendering provider (NM1*82), AMT and QTY.
    Made only for claims that have any of them (most claims have a few)."""

    __slots__ = (
        "amounts",
        "crossover_carrier_id",
        "crossover_carrier_name",
        "facility_type",
        "frequency",
        "quantities",
        "received_date",
        "rendering_npi",
        "statement_to",
    )

    def __init__(self, facility_type: str | None, frequency: str | None) -> None:
        self.facility_type = facility_type
        self.frequency = frequency
        self.statement_to: str | None = None
        self.received_date: str | None = None
        self.crossover_carrier_name: str | None = None
        self.crossover_carrier_id: str | None = None
        self.rendering_npi: str | None = None
        self.amounts: list[tuple[str, str]] = []
        self.quantities: list[tuple[str, str]] = []


class Claim:
    """What one CLP loop (2100) contributes to its adjustments."""

    __slots__ = (
        "balance_error",
        "cas",
        "cas_total",
        "charge_value",
        "date",
        "extra",
        "fields",
        "lines",
        "paid_value",
        "rarcs",
        "segment_no",
    )

    def __init__(
        self,
        segment_no: int,
        fields: Adjustment,
        charge_value: Decimal,
        paid_value: Decimal,
    ) -> None:
        self.segment_no = segment_no
        self.fields = fields
        self.charge_value = charge_value
        self.paid_value = paid_value
        self.cas: list[CasItem] = []
        self.cas_total = ZERO
        self.lines: list[ServiceLine] = []
        self.rarcs: list[str] = []
        self.date: str | None = None
        self.balance_error: str | None = None
        self.extra: ClaimExtra | None = None  # what only the Claim event carries
