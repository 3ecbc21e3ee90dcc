"""The 835 transaction walker: one :class:`Remittance` per transaction set (ST..SE).

It dispatches each segment to its handler (:data:`HANDLERS`): the transaction header (BPR, TRN,
DTM, N1, REF) and PLB here, claims and service lines in :class:`~.claims.ClaimLoops`. One
adjustment per CAS triplet (claim loop 2100 and service line loop 2110) and per PLB adjustment
pair is recorded in the set's :class:`~.adjustments.CompactAdjustments`; at SE :meth:`finish`
checks the required segments and the payment balance.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from .adjustments import ID_SEPARATOR, CompactAdjustments, Header, PlbItem
from .claims import ClaimLoops, claim_extra
from .loops import ADJUSTMENT_FIELDS, KNOWN_SEGMENTS, Claim, ServiceLine, split_composite
from .problems import BALANCE, DATE, SEGMENT, Problem
from .summary import Payment, PlbSegment, SetSummary
from .validation import (
    ZERO,
    SegmentError,
    add,
    decimal,
    iso_date,
    known_date,
    transaction_balance_error,
)

Handler = Callable[["Remittance", int, list[str]], None]


class Remittance(ClaimLoops):
    """Walks one 835 transaction set (ST..SE) segment by segment.

    Call :meth:`segment` for every segment between ST and SE (the envelope reader dispatches
    through :data:`HANDLERS` directly for speed), then :meth:`finish` at SE. Any
    :class:`SegmentError` raised means the set is structurally broken and must be rejected whole.
    """

    HANDLERS: dict[str, Handler]

    def __init__(
        self,
        *,
        file_name: str,
        base_name: str,
        isa: list[str],
        gs: list[str],
        st: list[str],
        st_segment_no: int,
        component: str,
    ) -> None:
        self.file = file_name
        self.st_segment_no = st_segment_no
        self.component = component
        self.interchange = isa[13]
        self.transaction = st[2] if len(st) > 2 else ""
        implementation = gs[8] if len(gs) > 8 and gs[8] else (st[3] if len(st) > 3 else "")
        base: Header = dict.fromkeys(ADJUSTMENT_FIELDS)
        base.update(
            file=base_name,
            implementation=implementation,
            interchange=self.interchange,
            functional_group=gs[6],
            transaction=self.transaction,
            modifiers=[],
            rarcs=[],
            reversal=False,
        )
        self.base = base
        self.id_prefix = ID_SEPARATOR.join(
            (isa[6].strip(), isa[8].strip(), isa[13], gs[6], self.transaction, ""),
        )
        self.adjustments = CompactAdjustments()
        self.problems: list[Problem] = []
        self.claim: Claim | None = None
        self.line: ServiceLine | None = None
        self.loop = "header"
        self.bpr_segment_no = 0
        self.payment: Decimal | None = None
        self.seen: set[str] = set()
        self.paid_total = ZERO
        self.claim_statuses: dict[str, int] = {}
        self.plb_total = ZERO
        self.claims: list[tuple[Header, Claim]] = []
        self.payment_info = Payment()
        self.plb_segments: list[PlbSegment] = []

    # -- helpers -------------------------------------------------------------------------------

    def set_header(self, field: str, value: object) -> None:
        """Set a header field of the adjustments recorded from now on (those recorded before
        keep the header they were recorded with)."""
        base = self.base.copy()
        base[field] = value
        self.base = base

    def date(self, segment_no: int, value: str, element: str) -> str | None:
        """ISO date of an X12 date element; warns (and gives None) when it is not a date."""
        converted = iso_date(value)
        if converted is None and value:
            self.warn(segment_no, f"{element}: expected a date CCYYMMDD, got {value[:40]!r}", DATE)
        return converted

    def segment(self, segment_no: int, elements: list[str]) -> None:
        """Process one segment between ST and SE."""
        HANDLERS.get(elements[0], Remittance.other)(self, segment_no, elements)

    # -- transaction header --------------------------------------------------------------------

    def bpr(self, segment_no: int, el: list[str]) -> None:
        """BPR: payment amount (BPR02) and date (BPR16)."""
        if len(el) < 3 or not el[2]:
            raise SegmentError("BPR02: expected the total payment amount")
        self.payment = decimal(el[2], "BPR02")
        self.bpr_segment_no = segment_no
        self.seen.add("BPR")
        info = self.payment_info
        info.handling_code = el[1] or None
        info.total_paid = el[2][1:] if el[2][0] == "+" else el[2]
        info.credit_debit = el[3] or None if len(el) > 3 else None
        info.payment_method = el[4] or None if len(el) > 4 else None
        if len(el) > 16 and el[16]:
            info.payment_date = self.date(segment_no, el[16], "BPR16")
            self.set_header("remit_date", info.payment_date)

    def trn(self, segment_no: int, el: list[str]) -> None:
        """TRN: reassociation trace number."""
        if len(el) < 3 or not el[2]:
            raise SegmentError("TRN02: expected the check or EFT trace number")
        self.seen.add("TRN")
        if self.base["trace"] is None:
            self.set_header("trace", el[2])
            self.payment_info.trace_originator = el[3] if len(el) > 3 and el[3] else None

    def dtm(self, segment_no: int, el: list[str]) -> None:
        """DTM: production date (405), claim dates (232), line dates (472/150)."""
        if len(el) < 3:
            return
        qualifier = el[1]
        line = self.line
        if line is not None:
            if qualifier == "472":
                line.date = known_date(el[2]) or self.date(segment_no, el[2], "DTM02")
            elif qualifier == "150":
                line.date_150 = known_date(el[2]) or self.date(segment_no, el[2], "DTM02")
            elif qualifier == "151":
                line.date_151 = known_date(el[2]) or self.date(segment_no, el[2], "DTM02")
        elif self.claim is not None:
            if qualifier == "232":
                self.claim.date = known_date(el[2]) or self.date(segment_no, el[2], "DTM02")
            elif qualifier == "233":
                claim_extra(self.claim).statement_to = self.date(segment_no, el[2], "DTM02")
            elif qualifier == "050":
                claim_extra(self.claim).received_date = self.date(segment_no, el[2], "DTM02")
        elif qualifier == "405":
            info = self.payment_info
            if info.production_date is None:
                info.production_date = iso_date(el[2])
            if self.base["remit_date"] is None:
                self.set_header("remit_date", self.date(segment_no, el[2], "DTM02"))

    def n1(self, segment_no: int, el: list[str]) -> None:
        """N1: payer (PR) and payee (PE) identification."""
        qualifier = el[1] if len(el) > 1 else ""
        if self.claim is not None or self.loop in {"claims", "provider"}:
            raise SegmentError(
                f"N1*{qualifier[:3]}: expected in the transaction header, before LX/CLP",
            )
        name = el[2] if len(el) > 2 and el[2] else None
        ident = el[4] if len(el) > 4 and el[4] else None
        if qualifier == "PR":
            self.loop = "payer"
            self.seen.add("N1*PR")
            self.set_header("payer_name", name)
            self.payment_info.payer_n1_id = ident
            if ident is not None:
                self.set_header("payer_id", ident)
        elif qualifier == "PE":
            self.loop = "payee"
            self.seen.add("N1*PE")
            self.set_header("payee_name", name)
            self.set_header("payee_npi", ident)
            if ident is not None and len(el) > 3 and el[3] == "FI":
                self.set_header("payee_tin", ident)
        else:
            self.loop = "header"

    def ref(self, segment_no: int, el: list[str]) -> None:
        """REF: the payer's additional id (REF*2U), the payee's TIN (REF*TJ), a service line's
        control number (REF*6R) and location (REF*LU); other REF are not used."""
        if len(el) < 3 or not el[2]:
            return
        qualifier = el[1]
        line = self.line
        if line is not None:
            if qualifier == "6R":
                line.control_number = el[2]
            elif qualifier == "LU":
                line.location = el[2]
        elif self.loop == "payer" and qualifier == "2U":
            if self.payment_info.payer_additional_id is None:
                self.payment_info.payer_additional_id = el[2]
            if self.base["payer_id"] is None:
                self.set_header("payer_id", el[2])
        elif self.loop == "payee" and qualifier == "TJ" and self.base["payee_tin"] is None:
            self.set_header("payee_tin", el[2])  # N1*PE N104 with N103 = FI comes first

    # -- claims -------------------------------------------------------------------------------

    def lx(self, segment_no: int, el: list[str]) -> None:
        """LX: header number; closes the open claim."""
        self.close_claim()
        self.loop = "claims"

    # -- provider level ------------------------------------------------------------------------

    def plb(self, segment_no: int, el: list[str]) -> None:
        """PLB: up to six provider-level adjustments (reason[:reference], amount)."""
        self.close_claim()
        self.loop = "provider"
        size = len(el)
        if size > 15:
            raise SegmentError("PLB: expected at most 6 adjustment pairs (14 elements)")
        if size < 5 or not el[1] or not el[2]:
            raise SegmentError("PLB01-04: expected provider, fiscal period date and one adjustment")
        items: list[PlbItem] = []
        fiscal_date = self.date(segment_no, el[2], "PLB02")
        for position in range(3, size, 2):
            reason = el[position]
            amount = el[position + 1] if position + 1 < size else ""
            if not reason:
                if amount:
                    raise SegmentError(f"PLB{position:02d}: expected an adjustment reason code")
                continue
            if not amount:
                raise SegmentError(f"PLB{position + 1:02d}: expected the amount for {reason[:20]}")
            self.plb_total = add(self.plb_total, decimal(amount, f"PLB{position + 1:02d}"))
            parts = split_composite(reason, self.component)
            items.append(
                (
                    segment_no,
                    (position - 1) // 2,
                    reason,
                    amount,
                    parts[0],
                    amount[1:] if amount[0] == "+" else amount,
                    parts[1] if len(parts) > 1 and parts[1] else None,
                ),
            )
        self.adjustments.add_plb(self.base, items)
        self.plb_segments.append((el[1], fiscal_date, items))

    # -- anything else -------------------------------------------------------------------------

    def ignore(self, segment_no: int, el: list[str]) -> None:
        """Known 835 segments that carry no adjustment field."""

    def other(self, segment_no: int, el: list[str]) -> None:
        """Segments that are not part of an 835: warn and skip; reject malformed ids."""
        tag = el[0]
        if not (2 <= len(tag) <= 3 and tag.isascii() and tag.isalnum() and tag.isupper()):
            raise SegmentError(f"expected a segment identifier, got {tag[:20]!r}")
        if tag not in KNOWN_SEGMENTS:
            self.warn(segment_no, f"{tag}: not an 835 segment, ignored", SEGMENT)

    # -- end -----------------------------------------------------------------------------------

    def finish(self, segment_no: int) -> None:
        """Close the set at SE: required segments, last claim, BPR balance."""
        for required in ("BPR", "TRN", "N1*PR", "N1*PE"):
            if required not in self.seen:
                raise SegmentError(f"expected a {required} segment in the transaction header")
        self.close_claim()
        if self.payment is None:
            raise SegmentError("BPR02: expected the total payment amount")
        error = transaction_balance_error(self.payment, self.paid_total, self.plb_total)
        if error is not None:
            self.warn(
                self.bpr_segment_no,
                f"BPR02: expected the total payment to equal the CLP04 total minus the PLB "
                f"total; {error}",
                BALANCE,
            )
            self.adjustments.balance_error = error

    def summary(self) -> SetSummary:
        """The claims and payment of the finished set (seal it once its fingerprint is known)."""
        return SetSummary(
            header=self.base,
            payment=self.payment_info,
            claims=self.claims,
            plb_segments=self.plb_segments,
            adjustments=self.adjustments,
            st_segment_no=self.st_segment_no,
            bpr_segment_no=self.bpr_segment_no,
            paid_total=self.paid_total,
            plb_total=self.plb_total,
        )


HANDLERS: dict[str, Handler] = {
    "CAS": Remittance.cas,
    "SVC": Remittance.svc,
    "CLP": Remittance.clp,
    "NM1": Remittance.nm1,
    "DTM": Remittance.dtm,
    "AMT": Remittance.amt,
    "QTY": Remittance.qty,
    "REF": Remittance.ref,
    "LQ": Remittance.lq,
    "LX": Remittance.lx,
    "MOA": Remittance.moa,
    "MIA": Remittance.moa,
    "PLB": Remittance.plb,
    "BPR": Remittance.bpr,
    "TRN": Remittance.trn,
    "N1": Remittance.n1,
}
for _tag in KNOWN_SEGMENTS - HANDLERS.keys():
    HANDLERS[_tag] = Remittance.ignore
Remittance.HANDLERS = HANDLERS
