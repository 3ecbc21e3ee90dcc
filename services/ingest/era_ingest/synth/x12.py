"""Serialization of checks (ST/SE transaction sets) and envelopes (ISA/GS … GE/IEA) to X12 text.

Delimiters are the common 5010 set: element ``*``, component ``:``, repetition ``^`` and segment
terminator ``~`` (optionally followed by a newline). Trailing empty elements are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .catalog import PayeeProfile, PayerProfile
from .model import Cas, Claim, money
from .summary import ExpectedAdjustment, Tally

IMPLEMENTATION = "005010X221A1"


@dataclass(frozen=True, slots=True)
class PlbAdjustment:
    """One PLB adjustment: reason code, optional reference id, amount (+ reduces the payment)."""

    code: str
    reference: str | None
    amount: int


@dataclass(slots=True)
class Check:
    """The content of one transaction set: one payment from one payer to one payee."""

    st02: str
    payer: PayerProfile
    payee: PayeeProfile
    check_date: date
    production_date: date
    trace: str
    method: str
    payer_tin: str
    receiver_ref: str | None
    claims: list[Claim]
    plb: list[PlbAdjustment] = field(default_factory=list)
    payer_phone: str = "8005550100"
    street: str = "MAIN STREET"

    @property
    def payment(self) -> int:
        """BPR02 in cents: Σ CLP04 - Σ PLB amounts."""
        return sum(c.paid for c in self.claims) - sum(p.amount for p in self.plb)


def d8(day: date) -> str:
    """CCYYMMDD."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


class Segments:
    """Collects the segments of one transaction set, numbering them within the file."""

    __slots__ = ("first", "parts", "term")

    def __init__(self, first_no: int, term: str) -> None:
        self.first = first_no
        self.term = term
        self.parts: list[str] = []

    def add(self, *elements: str) -> int:
        """Append a segment (trailing empty elements dropped); returns its 1-based file position."""
        self.parts.append("*".join(elements).rstrip("*") + self.term)
        return self.first + len(self.parts) - 1


def _cas_segments(cas: list[Cas]) -> list[tuple[str, list[Cas]]]:
    """Group triplets by group code (first-seen order), at most six per CAS segment."""
    by_group: dict[str, list[Cas]] = {}
    for c in cas:
        by_group.setdefault(c.group, []).append(c)
    out: list[tuple[str, list[Cas]]] = []
    for group, items in by_group.items():
        for i in range(0, len(items), 6):
            out.append((group, items[i : i + 6]))
    return out


class TransactionWriter:
    """Writes one :class:`Check` as an 835 transaction set and tallies what it wrote."""

    def __init__(self, tally: Tally, interchange: str, term: str) -> None:
        self.tally = tally
        self.interchange = interchange
        self.term = term

    def write(self, check: Check, first_no: int) -> Segments:
        """Serialize ``check``; its ST segment gets file position ``first_no``."""
        seg = Segments(first_no, self.term)
        payer, payee = check.payer, check.payee
        fx = payer.fixed_decimals
        total = check.payment
        seg.add("ST", "835", check.st02)
        if total == 0:
            seg.add("BPR", "H", money(0, fx), "C", "NON", *[""] * 11, d8(check.check_date))
        elif check.method == "CHK":
            seg.add("BPR", "I", money(total, fx), "C", "CHK", *[""] * 11, d8(check.check_date))
        else:
            seg.add(
                "BPR", "I", money(total, fx), "C", "ACH", "CCP", "01", "0" + check.payer_tin[:8],
                "DA", check.trace[-9:], "1" + check.payer_tin, "", "01",
                "1" + check.payee.tin[:8], "DA", check.payee.npi[::-1], d8(check.check_date),
            )  # fmt: skip
        seg.add("TRN", "1", check.trace, "1" + check.payer_tin)
        if check.receiver_ref:
            seg.add("REF", "EV", check.receiver_ref)
        seg.add("DTM", "405", d8(check.production_date))
        if payer.id_in_n1:
            seg.add("N1", "PR", payer.name, "XV", payer.payer_id)
        else:
            seg.add("N1", "PR", payer.name)
        seg.add("N3", f"PO BOX {int(check.payer_tin[-4:]) + 100}")
        seg.add("N4", payer.city, payer.state, payer.zip_code)
        if not payer.id_in_n1:
            seg.add("REF", "2U", payer.payer_id)
        seg.add("PER", "BL", "PROVIDER SERVICES", "TE", check.payer_phone)
        seg.add("N1", "PE", payee.name, "XX", payee.npi)
        seg.add("N3", f"{int(payee.tin[-3:]) + 10} {check.street}")
        seg.add("N4", payee.city, payee.state, payee.zip_code)
        seg.add("REF", "TJ", payee.tin)
        for index, claim in enumerate(check.claims):
            if index % 50 == 0:
                seg.add("LX", str(index // 50 + 1))
            self._claim(seg, check, claim)
        self._plb(seg, check)
        seg.add("SE", str(len(seg.parts) + 1), check.st02)
        c = self.tally.cents
        c["payment"] += total
        c["claim_paid"] += sum(cl.paid for cl in check.claims)
        c["charge"] += sum(cl.charge for cl in check.claims)
        c["plb"] += sum(p.amount for p in check.plb)
        n = self.tally.counts
        n["transactions"] += 1
        n["claims"] += len(check.claims)
        n["reversals"] += sum(1 for cl in check.claims if cl.status == "22")
        n["lines"] += sum(len(cl.lines) for cl in check.claims)
        return seg

    def _claim(self, seg: Segments, check: Check, claim: Claim) -> None:
        fx = check.payer.fixed_decimals
        pr = claim.patient_responsibility
        seg.add(
            "CLP", claim.claim_id, claim.status, money(claim.charge, fx), money(claim.paid, fx),
            money(pr, fx) if pr or fx else "", claim.filing, claim.payer_control,
            claim.facility, "1",
        )  # fmt: skip
        self._cas(seg, check, claim, None, claim.cas)
        self._claim_details(seg, claim, fx)
        for number, line in enumerate(claim.lines, 1):
            code = ":".join((line.procedure, *line.modifiers))
            units = "" if line.units is None else str(line.units)
            seg.add("SVC", code, money(line.charge, fx), money(line.paid, fx), "", units)
            if line.service_date is not None:
                seg.add("DTM", "472", d8(line.service_date))
            self._cas(seg, check, claim, number, line.cas)
            seg.add("REF", "6R", line.control)
            if line.allowed is not None:
                seg.add("AMT", "B6", money(line.allowed, fx))
            for rarc in line.rarcs:
                seg.add("LQ", "HE", rarc)

    @staticmethod
    def _claim_details(seg: Segments, claim: Claim, fx: bool) -> None:
        """The 2100 segments between CLP/CAS and the first SVC: names, MOA, dates, AMT."""
        pat, ins = claim.patient, claim.insured
        if pat.ident:
            seg.add("NM1", "QC", "1", pat.last, pat.first, "", "", "", "MI", pat.ident)
        else:
            seg.add("NM1", "QC", "1", pat.last, pat.first)
        if ins is not None:
            seg.add("NM1", "IL", "1", ins.last, ins.first, "", "", "", "MI", ins.ident)
        if claim.rendering is not None:
            r = claim.rendering
            seg.add("NM1", "82", "1", r.last, r.first, "", "", "", "XX", r.ident)
        if claim.crossover is not None:
            seg.add("NM1", "TT", "2", claim.crossover[0], "", "", "", "", "PI", claim.crossover[1])
        if claim.moa:
            seg.add("MOA", "", "", *claim.moa)
        if claim.statement_date is not None:
            seg.add("DTM", "232", d8(claim.statement_date))
        if claim.received_date is not None:
            seg.add("DTM", "050", d8(claim.received_date))
        if claim.coverage_amount is not None:
            seg.add("AMT", "AU", money(claim.coverage_amount, fx))

    def _cas(
        self, seg: Segments, check: Check, claim: Claim, line_no: int | None, cas: list[Cas]
    ) -> None:
        """CAS segments of a claim (``line_no`` None) or of one of its lines."""
        fx = check.payer.fixed_decimals
        level = "claim" if line_no is None else "line"
        expected = self.tally.expected
        procedure: str | None = None
        modifiers: tuple[str, ...] = ()
        rarcs = claim.moa
        if line_no is not None:
            ln = claim.lines[line_no - 1]
            procedure, modifiers, rarcs = ln.procedure, ln.modifiers, ln.rarcs + claim.moa
        for group, triplets in _cas_segments(cas):
            elements = ["CAS", group]
            for t in triplets:
                qty = "" if t.quantity is None else str(t.quantity)
                elements += [t.carc, money(t.amount, fx), qty]
            seg_no = seg.add(*elements)
            for t in triplets:
                self.tally.adjustment(level, group, t.carc, t.amount)
                if expected is not None:
                    expected.append(
                        ExpectedAdjustment(
                            interchange=self.interchange, transaction=check.st02,
                            segment_no=seg_no, level=level, claim_id=claim.claim_id,
                            claim_status=claim.status, line=line_no, procedure=procedure,
                            modifiers=modifiers,
                            group_code=group, carc=t.carc, amount=money(t.amount, fx),
                            quantity=None if t.quantity is None else str(t.quantity),
                            rarcs=rarcs, plb_reference=None, reversal=claim.status == "22",
                        )
                    )  # fmt: skip

    def _plb(self, seg: Segments, check: Check) -> None:
        fx = check.payer.fixed_decimals
        fiscal = f"{check.check_date.year}1231"
        expected = self.tally.expected
        for i in range(0, len(check.plb), 6):
            chunk = check.plb[i : i + 6]
            elements = ["PLB", check.payee.npi, fiscal]
            for p in chunk:
                code = p.code if p.reference is None else f"{p.code}:{p.reference}"
                elements += [code, money(p.amount, fx)]
            seg_no = seg.add(*elements)
            for p in chunk:
                self.tally.adjustment("provider", None, p.code, p.amount)
                if expected is not None:
                    expected.append(
                        ExpectedAdjustment(
                            interchange=self.interchange, transaction=check.st02,
                            segment_no=seg_no, level="provider", claim_id=None,
                            claim_status=None, line=None, procedure=None, modifiers=(),
                            group_code=None,
                            carc=p.code, amount=money(p.amount, fx), quantity=None, rarcs=(),
                            plb_reference=p.reference, reversal=False,
                        )
                    )  # fmt: skip
