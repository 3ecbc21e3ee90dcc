"""Claim (2100) and service line (2110) segment handlers of the 835 walker.

:class:`ClaimLoops` turns CLP, NM1 (QC, IL, TT), MOA/MIA, CAS, SVC, AMT and LQ into
:class:`~.loops.Claim` and :class:`~.loops.ServiceLine` objects, checks their balance when they
close, sets a predetermination's estimates and records each closed claim in the set's
:class:`~.adjustments.CompactAdjustments`. Adjustments are recorded when their claim closes
(next CLP/LX/PLB or SE), because the segments they copy fields from (NM1, MOA/MIA, LQ, AMT, DTM)
follow the CAS segments."""

from __future__ import annotations

from decimal import Decimal

from .adjustments import PREDETERMINATION, CompactAdjustments, Header, set_estimates
from .loops import (
    MIA_REMARKS,
    MOA_REMARKS,
    Adjustment,
    Claim,
    ClaimExtra,
    ServiceLine,
    split_composite,
)
from .problems import BALANCE, OTHER, SEGMENT, Problem
from .validation import (
    SegmentError,
    add,
    claim_balance_error,
    decimal,
    known,
    line_balance_error,
    number,
    subtract,
)


class ClaimLoops:
    """The claim and service line handlers; :class:`~.remittance.Remittance` is the walker
    that uses them. Every handler takes ``(segment_no, elements)`` and raises
    :class:`~.validation.SegmentError` when the segment breaks the set's structure."""

    base: Header
    component: str
    claim: Claim | None
    line: ServiceLine | None
    loop: str
    adjustments: CompactAdjustments
    paid_total: Decimal
    claim_statuses: dict[str, int]
    claims: list[tuple[Header, Claim]]

    file: str
    interchange: str
    transaction: str
    problems: list[Problem]

    def warn(self, segment_no: int, message: str, kind: str = OTHER) -> None:
        """Record a problem that does not reject the transaction set (``kind``: what about)."""
        self.problems.append(
            Problem(
                self.file,
                segment_no,
                message,
                "warning",
                self.interchange,
                self.transaction,
                kind=kind,
            ),
        )

    def clp(self, segment_no: int, el: list[str]) -> None:
        """CLP: opens a claim (loop 2100)."""
        self.close_claim()
        self.loop = "claims"
        if len(el) < 8:
            el = el + [""] * (8 - len(el))
        if not (el[1] and el[2] and el[3] and el[4]):
            missing = next(n for n in (1, 2, 3, 4) if not el[n])
            raise SegmentError(f"CLP{missing:02d}: expected a value")
        charge_text, paid_text, responsibility = el[3], el[4], el[5]
        charge = known(charge_text) or decimal(charge_text, "CLP03")
        paid = known(paid_text) or decimal(paid_text, "CLP04")
        if responsibility:
            known(responsibility) or decimal(responsibility, "CLP05")
            if responsibility[0] == "+":
                responsibility = responsibility[1:]
        self.paid_total = add(self.paid_total, paid)
        statuses = self.claim_statuses
        statuses[el[2]] = statuses.get(el[2], 0) + 1
        fields: Adjustment = {
            "claim_id": el[1],
            "claim_status": el[2],
            "claim_charge": charge_text[1:] if charge_text[0] == "+" else charge_text,
            "claim_paid": paid_text[1:] if paid_text[0] == "+" else paid_text,
            "patient_responsibility": responsibility or None,
            "claim_filing_indicator": el[6] or None,
            "payer_claim_id": el[7] or None,
            "patient_name": None,
            "member_id": None,
            "reversal": el[2] == "22",
            "crossover_carrier": None,
            "estimated_payment": None,
            "claim_event_id": None,  # set when the set is sealed (.summary)
            "remittance_event_id": None,
        }
        claim = Claim(segment_no, fields, charge, paid)
        if len(el) > 8 and (el[8] or (len(el) > 9 and el[9])):
            claim.extra = ClaimExtra(el[8] or None, el[9] or None if len(el) > 9 else None)
        self.claim = claim

    def nm1(self, segment_no: int, el: list[str]) -> None:
        """NM1: patient (QC) name and member id; insured (IL) member id as fallback; the
        crossover carrier (TT) the claim was forwarded to."""
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
        elif qualifier == "TT":
            if len(el) > 3 and el[3]:
                fields["crossover_carrier"] = el[3]
            extra = claim_extra(claim)
            extra.crossover_carrier_name = el[3] if len(el) > 3 and el[3] else None
            extra.crossover_carrier_id = el[9] if len(el) > 9 and el[9] else None
        elif qualifier == "82" and len(el) > 9 and el[9] and el[8] == "XX":
            claim_extra(claim).rendering_npi = el[9]

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
                value = known(amount) or decimal(amount, "CAS03")
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
            if not amount:
                raise SegmentError(f"CAS{position + 1:02d}: expected the amount for {reason[:10]}")
            value = known(amount) or decimal(amount, f"CAS{position + 1:02d}")
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
        composite, charge, paid = el[1], el[2], el[3]
        component = self.component
        parts = (
            composite.split(component)
            if component in composite
            else split_composite(composite, component)
        )
        modifiers: list[str] = []
        if len(parts) > 1 and parts[1]:
            procedure = f"{parts[0]}:{parts[1]}"
            if len(parts) > 2:
                modifiers = [part for part in parts[2:6] if part]
        else:
            procedure = composite
            self.warn(
                segment_no,
                f"SVC01: expected qualifier and procedure code, got {composite[:40]!r}",
                SEGMENT,
            )
        charge_value = known(charge) or decimal(charge, "SVC02")
        paid_value = known(paid) or decimal(paid, "SVC03")
        line = ServiceLine(
            segment_no,
            len(claim.lines) + 1,
            procedure,
            modifiers,
            charge[1:] if charge[0] == "+" else charge,
            paid[1:] if paid[0] == "+" else paid,
            charge_value,
            paid_value,
            number(el[5], "SVC05") if size > 5 and el[5] else "1",
        )
        if size > 6 and el[6]:
            line.submitted = split_composite(el[6], component)
        claim.lines.append(line)
        self.line = line

    def amt(self, segment_no: int, el: list[str]) -> None:
        """AMT*B6: allowed amount of a service line; AMT of a claim (any qualifier)."""
        line = self.line
        if line is not None:
            if len(el) > 2 and el[1] == "B6":
                allowed = el[2]
                known(allowed) or decimal(allowed, "AMT02")
                line.allowed = allowed[1:] if allowed[0] == "+" else allowed
        elif self.claim is not None and len(el) > 2 and el[1] and el[2]:
            value = self.claim_number(segment_no, el, "AMT02")
            if value is not None:
                claim_extra(self.claim).amounts.append((el[1], value))

    def qty(self, segment_no: int, el: list[str]) -> None:
        """QTY of a claim (any qualifier); line QTY is not kept."""
        if self.line is None and self.claim is not None and len(el) > 2 and el[1] and el[2]:
            value = self.claim_number(segment_no, el, "QTY02")
            if value is not None:
                claim_extra(self.claim).quantities.append((el[1], value))

    def claim_number(self, segment_no: int, el: list[str], element: str) -> str | None:
        """A claim AMT/QTY value; one that is not a number is warned about and left out (no
        money balances on it, so it does not reject the set)."""
        try:
            return number(el[2], element)
        except SegmentError as exc:
            self.warn(segment_no, f"{el[0]}*{el[1][:3]}: {exc}; left out")
            return None

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
        if subtract(line.charge_value, line.paid_value) == line.cas_total:
            return
        line.balance_error = line_balance_error(line.charge_value, line.paid_value, line.cas_total)
        if line.balance_error is not None:
            claim_id = claim.fields["claim_id"] if claim is not None else None
            self.warn(
                line.segment_no,
                f"SVC (claim {claim_id}, line {line.index}): expected SVC02 - SVC03 to equal "
                f"the line CAS total; {line.balance_error}",
                BALANCE,
            )

    def close_claim(self) -> None:
        """Check the open claim's balance and record its adjustments."""
        claim = self.claim
        if claim is None:
            return
        if self.line is not None:
            self.close_line()
        self.claim = None
        error = (
            None
            if subtract(claim.charge_value, claim.paid_value) == claim.cas_total
            else claim_balance_error(claim.charge_value, claim.paid_value, claim.cas_total)
        )
        if error is not None:
            claim.balance_error = error
            self.warn(
                claim.segment_no,
                f"CLP (claim {claim.fields['claim_id']}): expected CLP03 - CLP04 to equal the "
                f"claim and line CAS total; {error}",
                BALANCE,
            )
        if claim.fields["claim_status"] == PREDETERMINATION:
            set_estimates(claim)
        self.adjustments.add_claim(self.base, claim)
        self.claims.append((self.base, claim))


def claim_extra(claim: Claim) -> ClaimExtra:
    """The claim's :class:`~.loops.ClaimExtra`, made on first use."""
    extra = claim.extra
    if extra is None:
        extra = claim.extra = ClaimExtra(None, None)
    return extra
