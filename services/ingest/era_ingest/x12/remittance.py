"""The 835 loop walker: turns the segments of one transaction set into adjustment dicts.

One adjustment per CAS triplet (claim loop 2100 and service line loop 2110) and per PLB
adjustment pair. Adjustments are plain dicts with exactly the ``Adjustment`` fields of
``docs/events.md`` (``ingested_at`` is left ``None``), in that order.

Claim and line adjustments are built when their claim closes (next CLP/LX/PLB or SE), because the
segments they copy fields from (NM1, MOA/MIA, LQ, AMT, DTM) follow the CAS segments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal

from .loops import (
    ADJUSTMENT_FIELDS,
    KNOWN_SEGMENTS,
    MIA_REMARKS,
    MOA_REMARKS,
    Adjustment,
    Claim,
    ServiceLine,
    claim_adjustments,
    line_adjustments,
    split_composite,
)
from .problems import Problem
from .validation import (
    DECIMALS,
    ZERO,
    SegmentError,
    add,
    claim_balance_error,
    decimal,
    iso_date,
    line_balance_error,
    number,
    optional_number,
    transaction_balance_error,
)

_ID_SEPARATOR = "\x1f"
decimals_get = DECIMALS.get

Handler = Callable[["Remittance", int, list[str]], None]


class Remittance:
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
        self.base: Adjustment = dict.fromkeys(ADJUSTMENT_FIELDS)
        self.base.update(
            file=base_name,
            implementation=implementation,
            interchange=self.interchange,
            functional_group=gs[6],
            transaction=self.transaction,
            modifiers=[],
            rarcs=[],
            reversal=False,
        )
        self.id_prefix = _ID_SEPARATOR.join(
            (isa[6].strip(), isa[8].strip(), isa[13], gs[6], self.transaction, ""),
        )
        self.adjustments: list[Adjustment] = []
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

    # -- helpers -------------------------------------------------------------------------------

    def warn(self, segment_no: int, message: str) -> None:
        """Record a problem that does not reject the transaction set."""
        self.problems.append(
            Problem(
                self.file,
                segment_no,
                message,
                "warning",
                self.interchange,
                self.transaction,
            ),
        )

    def event_id(self, segment_no: int, index: int, content: str) -> str:
        """Deterministic id: SHA-256 over sender, receiver, ISA13, GS06, ST02, position, index
        and the adjustment's content (claim ids, group, code, amount), so a set that reuses
        control numbers with other content never collides with the first one."""
        position = segment_no - self.st_segment_no + 1
        key = f"{self.id_prefix}{position}{_ID_SEPARATOR}{index}{_ID_SEPARATOR}{content}"
        return hashlib.sha256(key.encode()).hexdigest()[:32]

    def date(self, segment_no: int, value: str, element: str) -> str | None:
        """ISO date of an X12 date element; warns (and gives None) when it is not a date."""
        converted = iso_date(value)
        if converted is None and value:
            self.warn(segment_no, f"{element}: expected a date CCYYMMDD, got {value[:40]!r}")
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
        if len(el) > 16 and el[16]:
            self.base["remit_date"] = self.date(segment_no, el[16], "BPR16")

    def trn(self, segment_no: int, el: list[str]) -> None:
        """TRN: reassociation trace number."""
        if len(el) < 3 or not el[2]:
            raise SegmentError("TRN02: expected the check or EFT trace number")
        self.seen.add("TRN")
        if self.base["trace"] is None:
            self.base["trace"] = el[2]

    def dtm(self, segment_no: int, el: list[str]) -> None:
        """DTM: production date (405), claim dates (232), line dates (472/150)."""
        if len(el) < 3:
            return
        qualifier = el[1]
        line = self.line
        if line is not None:
            if qualifier == "472":
                line.date = self.date(segment_no, el[2], "DTM02")
            elif qualifier == "150":
                line.date_150 = self.date(segment_no, el[2], "DTM02")
        elif self.claim is not None:
            if qualifier == "232":
                self.claim.date = self.date(segment_no, el[2], "DTM02")
        elif qualifier == "405" and self.base["remit_date"] is None:
            self.base["remit_date"] = self.date(segment_no, el[2], "DTM02")

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
            self.base["payer_name"] = name
            if ident is not None:
                self.base["payer_id"] = ident
        elif qualifier == "PE":
            self.loop = "payee"
            self.seen.add("N1*PE")
            self.base["payee_name"] = name
            self.base["payee_npi"] = ident
        else:
            self.loop = "header"

    def ref(self, segment_no: int, el: list[str]) -> None:
        """REF: only the payer's additional id (REF*2U) is used."""
        if (
            self.loop == "payer"
            and len(el) > 2
            and el[1] == "2U"
            and self.base["payer_id"] is None
            and el[2]
        ):
            self.base["payer_id"] = el[2]

    # -- claims --------------------------------------------------------------------------------

    def lx(self, segment_no: int, el: list[str]) -> None:
        """LX: header number; closes the open claim."""
        self.close_claim()
        self.loop = "claims"

    def clp(self, segment_no: int, el: list[str]) -> None:
        """CLP: opens a claim (loop 2100)."""
        self.close_claim()
        self.loop = "claims"
        if len(el) < 8:
            el = el + [""] * (8 - len(el))
        if not (el[1] and el[2] and el[3] and el[4]):
            missing = next(n for n in (1, 2, 3, 4) if not el[n])
            raise SegmentError(f"CLP{missing:02d}: expected a value")
        charge = decimal(el[3], "CLP03")
        paid = decimal(el[4], "CLP04")
        self.paid_total = add(self.paid_total, paid)
        self.claim_statuses[el[2]] = self.claim_statuses.get(el[2], 0) + 1
        fields: Adjustment = {
            "claim_id": el[1],
            "claim_status": el[2],
            "claim_charge": el[3][1:] if el[3][0] == "+" else el[3],
            "claim_paid": el[4][1:] if el[4][0] == "+" else el[4],
            "patient_responsibility": optional_number(el[5], "CLP05"),
            "claim_filing_indicator": el[6] or None,
            "payer_claim_id": el[7] or None,
            "patient_name": None,
            "member_id": None,
            "reversal": el[2] == "22",
        }
        self.claim = Claim(segment_no, fields, charge, paid)

    def nm1(self, segment_no: int, el: list[str]) -> None:
        """NM1: patient (QC) name and member id; insured (IL) member id as fallback."""
        claim = self.claim
        if claim is None or len(el) < 2:
            return
        qualifier = el[1]
        fields = claim.fields
        if qualifier == "QC":
            last = el[3] if len(el) > 3 else ""
            first = el[4] if len(el) > 4 else ""
            if last and first:
                fields["patient_name"] = f"{last}, {first}"
            else:
                fields["patient_name"] = last or first or None
            if len(el) > 9 and el[9]:
                fields["member_id"] = el[9]
        elif qualifier == "IL" and fields["member_id"] is None and len(el) > 9 and el[9]:
            fields["member_id"] = el[9]

    def moa(self, segment_no: int, el: list[str]) -> None:
        """MOA/MIA: claim remark codes."""
        claim = self.claim
        if claim is None:
            raise SegmentError(f"{el[0]}: expected inside a claim (after CLP)")
        positions = MOA_REMARKS if el[0] == "MOA" else MIA_REMARKS
        for position in positions:
            if position < len(el) and el[position] and el[position] not in claim.rarcs:
                claim.rarcs.append(el[position])

    def cas(self, segment_no: int, el: list[str]) -> None:
        """CAS: up to six (reason, amount, quantity) triplets of one group code."""
        holder: ServiceLine | Claim | None = self.line
        if holder is None:
            holder = self.claim
            if holder is None:
                raise SegmentError(
                    "CAS: expected inside a claim (after CLP) or service line (after SVC)",
                )
        if len(el) == 4:  # one triplet without quantity: most CAS segments
            _, group, reason, amount = el
            if group and reason and amount:
                value = decimals_get(amount)
                if value is None:
                    value = decimal(amount, "CAS03")
                holder.cas_total = add(holder.cas_total, value)
                if amount[0] == "+":
                    amount = amount[1:]
                holder.cas.append((segment_no, 1, group, reason, amount, None))
                return
        self.cas_triplets(holder, segment_no, el)

    def cas_triplets(self, holder: ServiceLine | Claim, segment_no: int, el: list[str]) -> None:
        """The general CAS case: each triplet checked, quantities validated."""
        size = len(el)
        if size > 20:
            raise SegmentError("CAS: expected at most 6 adjustment triplets (19 elements)")
        group = el[1] if size > 1 else ""
        if not group:
            raise SegmentError("CAS01: expected a claim adjustment group code")
        target = holder.cas
        before = len(target)
        cas_total = holder.cas_total
        for position in range(2, size, 3):
            reason = el[position]
            amount = el[position + 1] if position + 1 < size else ""
            quantity = el[position + 2] if position + 2 < size else ""
            if not reason:
                if amount or quantity:
                    raise SegmentError(f"CAS{position:02d}: expected a reason code")
                continue
            value = decimals_get(amount)
            if value is None:
                if not amount:
                    raise SegmentError(
                        f"CAS{position + 1:02d}: expected the amount for {reason[:10]}",
                    )
                value = decimal(amount, f"CAS{position + 1:02d}")
            cas_total = add(cas_total, value)
            if amount[0] == "+":
                amount = amount[1:]
            target.append(
                (
                    segment_no,
                    (position + 1) // 3,
                    group,
                    reason,
                    amount,
                    number(quantity, f"CAS{position + 2:02d}") if quantity else None,
                ),
            )
        if len(target) == before:
            raise SegmentError("CAS02: expected at least one reason code and amount")
        holder.cas_total = cas_total

    # -- service lines -------------------------------------------------------------------------

    def svc(self, segment_no: int, el: list[str]) -> None:
        """SVC: opens a service line (loop 2110)."""
        claim = self.claim
        if claim is None:
            raise SegmentError("SVC: expected inside a claim (after CLP)")
        if self.line is not None:
            self.close_line()
        size = len(el)
        if size < 4 or not el[1] or not el[2] or not el[3]:
            raise SegmentError("SVC01-03: expected procedure, charge and payment")
        line = ServiceLine(segment_no, len(claim.lines) + 1)
        parts = split_composite(el[1], self.component)
        if len(parts) > 1 and parts[1]:
            line.procedure = f"{parts[0]}:{parts[1]}"
            if len(parts) > 2:
                line.modifiers = [part for part in parts[2:6] if part]
        else:
            line.procedure = el[1]
            self.warn(
                segment_no,
                f"SVC01: expected qualifier and procedure code, got {el[1][:40]!r}",
            )
        value = decimals_get(el[2])
        line.charge_value = decimal(el[2], "SVC02") if value is None else value
        value = decimals_get(el[3])
        line.paid_value = decimal(el[3], "SVC03") if value is None else value
        line.charge = el[2][1:] if el[2][0] == "+" else el[2]
        line.paid = el[3][1:] if el[3][0] == "+" else el[3]
        if size > 5 and el[5]:
            line.units = number(el[5], "SVC05")
        claim.lines.append(line)
        self.line = line

    def amt(self, segment_no: int, el: list[str]) -> None:
        """AMT*B6: allowed amount of a service line."""
        line = self.line
        if line is not None and len(el) > 2 and el[1] == "B6":
            allowed = el[2]
            if decimals_get(allowed) is None:  # not a known valid number yet
                decimal(allowed, "AMT02")
            line.allowed = allowed[1:] if allowed[0] == "+" else allowed

    def lq(self, segment_no: int, el: list[str]) -> None:
        """LQ*HE: remark codes of a service line."""
        line = self.line
        if line is None:
            raise SegmentError("LQ: expected inside a service line (after SVC)")
        if len(el) > 2 and el[1] == "HE" and el[2] and el[2] not in line.rarcs:
            line.rarcs.append(el[2])

    def close_line(self) -> None:
        """Check the open line's balance."""
        line = self.line
        if line is None:
            return
        self.line = None
        claim = self.claim
        if claim is not None:
            claim.cas_total = add(claim.cas_total, line.cas_total)
        line.balance_error = line_balance_error(line.charge_value, line.paid_value, line.cas_total)
        if line.balance_error is not None:
            claim_id = claim.fields["claim_id"] if claim is not None else None
            self.warn(
                line.segment_no,
                f"SVC (claim {claim_id}, line {line.index}): expected SVC02 - SVC03 to equal "
                f"the line CAS total; {line.balance_error}",
            )

    def close_claim(self) -> None:
        """Check the open claim's balance and build its adjustments."""
        claim = self.claim
        if claim is None:
            return
        if self.line is not None:
            self.close_line()
        self.claim = None
        fields = claim.fields
        claim_error = claim_balance_error(claim.charge_value, claim.paid_value, claim.cas_total)
        if claim_error is not None:
            self.warn(
                claim.segment_no,
                f"CLP (claim {fields['claim_id']}): expected CLP03 - CLP04 to equal the claim "
                f"and line CAS total; {claim_error}",
            )
        base = self.base.copy()
        base.update(fields)
        base["service_date"] = claim.date
        if claim.cas:
            claim_adjustments(
                claim, base, claim_error, event_id=self.event_id, out=self.adjustments
            )
        for line in claim.lines:
            if line.cas:
                line_adjustments(
                    claim,
                    line,
                    base,
                    claim_error,
                    event_id=self.event_id,
                    out=self.adjustments,
                )

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
            adjustment = self.base.copy()
            adjustment["event_id"] = self.event_id(
                segment_no, (position - 1) // 2, f"{reason}{_ID_SEPARATOR}{amount}"
            )
            adjustment["segment_no"] = segment_no
            adjustment["level"] = "provider"
            adjustment["carc"] = parts[0]
            adjustment["amount"] = amount[1:] if amount[0] == "+" else amount
            adjustment["plb_reference"] = parts[1] if len(parts) > 1 and parts[1] else None
            adjustment["modifiers"] = []
            adjustment["rarcs"] = []
            self.adjustments.append(adjustment)

    # -- anything else -------------------------------------------------------------------------

    def ignore(self, segment_no: int, el: list[str]) -> None:
        """Known 835 segments that carry no adjustment field."""

    def other(self, segment_no: int, el: list[str]) -> None:
        """Segments that are not part of an 835: warn and skip; reject malformed ids."""
        tag = el[0]
        if not (2 <= len(tag) <= 3 and tag.isascii() and tag.isalnum() and tag.isupper()):
            raise SegmentError(f"expected a segment identifier, got {tag[:20]!r}")
        if tag not in KNOWN_SEGMENTS:
            self.warn(segment_no, f"{tag}: not an 835 segment, ignored")

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
            )
            for adjustment in self.adjustments:
                if adjustment["balance_error"] is None:
                    adjustment["balance_error"] = error


HANDLERS: dict[str, Handler] = {
    "CAS": Remittance.cas,
    "SVC": Remittance.svc,
    "CLP": Remittance.clp,
    "NM1": Remittance.nm1,
    "DTM": Remittance.dtm,
    "AMT": Remittance.amt,
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
