"""The claims and the payment of one transaction set: the Claim and Remittance records.

The walker keeps every closed claim (with or without CAS: a line paid in full has none) and the
payment fields of the set header (:class:`Payment`) and PLB segments; at SE, after the
adjustments are sealed, :meth:`SetSummary.seal` gives each claim and the set their event ids and
writes them into the claim fields the adjustments copy (``claim_event_id``,
``remittance_event_id``). :meth:`SetSummary.claims` and :meth:`SetSummary.remittance` then make
the dicts of the ``era.events.Claim`` and ``era.events.Remittance`` schemas (docs/events.md).

Event ids are sealed with the set's fingerprint, like the adjustments': SHA-256 over the
fingerprint, the envelope prefix (sender, receiver, ISA13, GS06, ST02), the segment's position in
the set and its content (a claim: CLP01, CLP07, CLP03, CLP04; the set: BPR02 and TRN02), cut to
32 hex characters, so an id names a claim *of one exact set*.
"""

from __future__ import annotations

from decimal import Decimal

from .adjustments import CompactAdjustments, Header, PlbItem
from .levels import line_service_date, split_procedure
from .loops import Adjustment, Claim, ServiceLine
from .speedups import hash32

PlbSegment = tuple[str, str | None, list[PlbItem]]
"""One PLB segment: PLB01 (provider id), PLB02 as an ISO date, its adjustment pairs."""

Record = dict[str, object]


class Payment:
    """The payment fields of a set header: BPR, TRN03, DTM*405, N1*PR N104, REF*2U."""

    __slots__ = (
        "credit_debit",
        "handling_code",
        "payer_additional_id",
        "payer_n1_id",
        "payment_date",
        "payment_method",
        "production_date",
        "total_paid",
        "trace_originator",
    )

    def __init__(self) -> None:
        self.handling_code: str | None = None  # BPR01
        self.total_paid = ""  # BPR02 as written, without a leading +
        self.credit_debit: str | None = None  # BPR03
        self.payment_method: str | None = None  # BPR04
        self.payment_date: str | None = None  # BPR16
        self.trace_originator: str | None = None  # TRN03
        self.production_date: str | None = None  # DTM*405
        self.payer_n1_id: str | None = None  # N1*PR N104
        self.payer_additional_id: str | None = None  # REF*2U


class SetSummary:
    """The claims and payment of one accepted transaction set (see the module docstring)."""

    __slots__ = (
        "adjustments",
        "bpr_segment_no",
        "claims_list",
        "event_id",
        "header",
        "paid_total",
        "payment",
        "plb_segments",
        "plb_total",
        "st_segment_no",
    )

    def __init__(
        self,
        *,
        header: Header,
        payment: Payment,
        claims: list[tuple[Header, Claim]],
        plb_segments: list[PlbSegment],
        adjustments: CompactAdjustments,
        st_segment_no: int,
        bpr_segment_no: int,
        paid_total: Decimal,
        plb_total: Decimal,
    ) -> None:
        self.header = header
        self.payment = payment
        self.claims_list = claims
        self.plb_segments = plb_segments
        self.adjustments = adjustments
        self.st_segment_no = st_segment_no
        self.bpr_segment_no = bpr_segment_no
        self.paid_total = paid_total
        self.plb_total = plb_total
        self.event_id = ""

    def seal(self, id_prefix: str, fingerprint: str) -> None:
        """Give the set and each claim its event id; the adjustments then carry them."""
        offset = self.st_segment_no - 1
        prefix = f"{fingerprint}{id_prefix}"
        remittance_id = self.event_id = hash32(
            f"{prefix}{self.bpr_segment_no - offset}\x1fBPR\x1f{self.payment.total_paid}"
            f"\x1f{self.header['trace'] or ''}"
        )
        self.adjustments.remittance_event_id = remittance_id
        for _, claim in self.claims_list:  # one hash per claim: this runs for every claim
            fields = claim.fields
            fields["claim_event_id"] = hash32(
                f"{prefix}{claim.segment_no - offset}\x1fCLP\x1f{fields['claim_id']}"
                f"\x1f{fields['payer_claim_id'] or ''}\x1f{fields['claim_charge']}"
                f"\x1f{fields['claim_paid']}"
            )
            fields["remittance_event_id"] = remittance_id

    def _adjustment_ids(self) -> tuple[dict[int, list[str]], list[list[str]]]:
        """The sealed adjustment ids by claim/line object id, and those of each PLB segment."""
        by_holder: dict[int, list[str]] = {}
        plb: list[list[str]] = []
        ids = self.adjustments.event_ids
        position = 0
        for _, source in self.adjustments.records:
            if isinstance(source, Claim):
                holders: list[Claim | ServiceLine] = [source, *source.lines]
                for holder in holders:
                    count = len(holder.cas)
                    by_holder[id(holder)] = ids[position : position + count]
                    position += count
            else:
                plb.append(ids[position : position + len(source)])
                position += len(source)
        return by_holder, plb

    def claims(self) -> list[Record]:
        """One ``era.events.Claim`` dict per CLP, in file order (``ingested_at`` None)."""
        by_holder, _ = self._adjustment_ids()
        transaction_error = self.adjustments.balance_error
        return [
            claim_record(header, claim, by_holder, transaction_error)
            for header, claim in self.claims_list
        ]

    def remittance(self) -> Record:
        """The ``era.events.Remittance`` dict of the set (``ingested_at`` None)."""
        header, payment = self.header, self.payment
        _, plb_ids = self._adjustment_ids()
        items: list[Record] = []
        for (provider, fiscal_date, pairs), ids in zip(self.plb_segments, plb_ids, strict=True):
            for (segment_no, _, _, _, carc, amount, reference), event_id in zip(
                pairs, ids, strict=True
            ):
                items.append(
                    {
                        "event_id": event_id,
                        "segment_no": segment_no,
                        "provider_id": provider,
                        "fiscal_period_date": fiscal_date,
                        "carc": carc,
                        "reference": reference,
                        "amount": amount,
                    }
                )
        return {
            "event_id": self.event_id,
            "file": header["file"],
            "implementation": header["implementation"],
            "interchange": header["interchange"],
            "functional_group": header["functional_group"],
            "transaction": header["transaction"],
            "segment_no": self.bpr_segment_no,
            "payer_name": header["payer_name"],
            "payer_id": header["payer_id"],
            "payer_n1_id": payment.payer_n1_id,
            "payer_additional_id": payment.payer_additional_id,
            "payee_name": header["payee_name"],
            "payee_npi": header["payee_npi"],
            "payee_tin": header["payee_tin"],
            "handling_code": payment.handling_code,
            "total_paid": payment.total_paid,
            "credit_debit": payment.credit_debit,
            "payment_method": payment.payment_method,
            "payment_date": payment.payment_date,
            "trace": header["trace"],
            "trace_originator": payment.trace_originator,
            "production_date": payment.production_date,
            "claim_count": len(self.claims_list),
            "claims_paid": str(self.paid_total),
            "provider_adjustments": str(self.plb_total),
            "provider_adjustment_items": items,
            "claim_event_ids": [claim.fields["claim_event_id"] for _, claim in self.claims_list],
            "balance_error": self.adjustments.balance_error,
            "ingested_at": None,
        }


def line_record(claim: Claim, line: ServiceLine, ids: list[str]) -> Record:
    """One service line of a Claim event."""
    submitted, submitted_modifiers = split_procedure(line.submitted)
    return {
        "line": line.index,
        "segment_no": line.segment_no,
        "procedure": line.procedure,
        "modifiers": line.modifiers,  # the parser never changes a closed line's lists
        "charge": line.charge,
        "paid": line.paid,
        "units": line.units,
        "submitted_procedure": submitted,
        "submitted_modifiers": submitted_modifiers,
        "service_date": line_service_date(claim, line),
        "service_date_end": line.date_151,
        "line_control_number": line.control_number,
        "location": line.location,
        "allowed": line.allowed,
        "remarks": line.rarcs,
        "adjustment_event_ids": ids,
        "balance_error": line.balance_error,
    }


def claim_record(
    header: Header,
    claim: Claim,
    by_holder: dict[int, list[str]],
    transaction_error: str | None,
) -> Record:
    """The Claim event of one CLP with every service line, paid in full or not."""
    f: Adjustment = claim.fields
    extra = claim.extra
    return {
        "event_id": f["claim_event_id"],
        "remittance_event_id": f["remittance_event_id"],
        "file": header["file"],
        "implementation": header["implementation"],
        "interchange": header["interchange"],
        "functional_group": header["functional_group"],
        "transaction": header["transaction"],
        "segment_no": claim.segment_no,
        "payer_name": header["payer_name"],
        "payer_id": header["payer_id"],
        "payee_name": header["payee_name"],
        "payee_npi": header["payee_npi"],
        "payee_tin": header["payee_tin"],
        "trace": header["trace"],
        "remit_date": header["remit_date"],
        "claim_id": f["claim_id"],
        "claim_status": f["claim_status"],
        "charge": f["claim_charge"],
        "paid": f["claim_paid"],
        "patient_responsibility": f["patient_responsibility"],
        "claim_filing_indicator": f["claim_filing_indicator"],
        "payer_claim_id": f["payer_claim_id"],
        "facility_type": extra.facility_type if extra else None,
        "claim_frequency": extra.frequency if extra else None,
        "reversal": f["reversal"],
        "patient_name": f["patient_name"],
        "member_id": f["member_id"],
        "statement_from": claim.date,
        "statement_to": extra.statement_to if extra else None,
        "received_date": extra.received_date if extra else None,
        "remarks": claim.rarcs,
        "crossover_carrier_name": extra.crossover_carrier_name if extra else None,
        "crossover_carrier_id": extra.crossover_carrier_id if extra else None,
        "rendering_npi": extra.rendering_npi if extra else None,
        "amounts": [{"qualifier": q, "amount": a} for q, a in extra.amounts] if extra else [],
        "quantities": (
            [{"qualifier": q, "quantity": n} for q, n in extra.quantities] if extra else []
        ),
        "adjustment_event_ids": by_holder.get(id(claim), []),
        "lines": [line_record(claim, line, by_holder.get(id(line), [])) for line in claim.lines],
        "balance_error": claim.balance_error or transaction_error,
        "ingested_at": None,
    }
