"""Claim assembly: patients, dates, line mix, secondary/tertiary claims, claim-level denials,
reversal + correction pairs, dental predeterminations (CLP02 25), claims forwarded to another
payer (CLP02 19, a crossover carrier NM1*TT, or a claim remark MA18/MA07/N89, alone or together)
and claims that are not the payer's (CLP02 23), all balanced (CLP03 - CLP04 = Σ claim and line
CAS)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from .adjudicate import LinePricer, line_scenarios, make_line
from .catalog import (
    CLAIM_REMARKS_DENTAL,
    CLAIM_REMARKS_MEDICAL,
    CROSSOVER_CARRIERS,
    DENTAL_ON_MEDICAL,
    DENTAL_PROCEDURES,
    FIRST_NAMES,
    LAST_NAMES,
    MEDICAL_MODIFIERS,
    MEDICAL_PROCEDURES,
    RARCS,
    PayeeProfile,
    PayerProfile,
    Procedure,
)
from .model import Cas, Claim, Line, Person, Weighted, pct

_DENTAL_LINE_COUNTS = Weighted([(1, 25), (2, 25), (3, 20), (4, 15), (5, 8), (6, 5), (8, 2)])
_MEDICAL_LINE_COUNTS = Weighted([(1, 35), (2, 30), (3, 18), (4, 10), (6, 7)])
_CLAIM_DENIALS = Weighted(
    [
        (("CO", "29"), 25),
        (("CO", "18"), 15),
        (("OA", "18"), 10),
        (("CO", "109"), 15),
        (("CO", "16"), 20),
        (("CO", "45"), 10),
        (("CO", "22"), 10),
    ]
)
# How a crossover shows: Medicare-style all three signals, or one of them alone.
_CROSSOVER_STYLES = Weighted(
    [("all", 50), ("status", 20), ("carrier", 15), ("MA18", 9), ("MA07", 4), ("N89", 2)]
)
_CROSSOVER_REMARK = {"all": "MA18", "MA18": "MA18", "MA07": "MA07", "N89": "N89"}
_ORAL_SURGERY = tuple(p for p, _ in DENTAL_PROCEDURES if p.code in ("D7140", "D7210", "D7240"))
_DRUGS = tuple(p for p, _ in MEDICAL_PROCEDURES if p.cls == "drug")
_MULTI = tuple(p for p, _ in MEDICAL_PROCEDURES if p.cls in ("proc", "rad"))
_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"


def npi(rng: random.Random) -> str:
    """A 10-digit NPI with a valid Luhn check digit (prefix 80840, as CMS specifies)."""
    body = "1" + "".join(str(rng.randrange(10)) for _ in range(8))
    digits = [int(d) for d in "80840" + body]
    total = 0
    for i, digit in enumerate(reversed(digits)):
        doubled = digit * 2 if i % 2 == 0 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return body + str((10 - total % 10) % 10)


class ClaimFactory:
    """Builds the claims of one check (one payer paying one payee)."""

    def __init__(
        self,
        rng: random.Random,
        *,
        payer: PayerProfile,
        payee: PayeeProfile,
        check_date: date,
        ids: Iterator[int],
        unknown_codes: bool,
    ) -> None:
        self.rng = rng
        self.payer = payer
        self.payee = payee
        self.check_date = check_date
        self.ids = ids
        self.dental = payer.kind == "dental"
        self.pricer = LinePricer(rng, payer)
        self.scenarios = line_scenarios(self.dental, unknown_codes)
        self.procedures = Weighted(DENTAL_PROCEDURES if self.dental else MEDICAL_PROCEDURES)
        self.line_counts = _DENTAL_LINE_COUNTS if self.dental else _MEDICAL_LINE_COUNTS
        self.fee_percent = 95 + int(payee.npi[-3:-1]) % 25
        self.prefix = "".join(w[0] for w in payee.name.split()[:2])

    # -- identities ------------------------------------------------------------------------
    def _member_id(self) -> str:
        rng = self.rng
        if self.payer.federal:
            pattern = "9A*9A*9AA99"
            return "".join(
                str(rng.randrange(1, 10))
                if ch == "9"
                else rng.choice(_MBI_LETTERS)
                if ch == "A"
                else rng.choice("0123456789" + _MBI_LETTERS)
                for ch in pattern
            )
        return f"{rng.choice('WXYZ')}{rng.randrange(10**8, 10**9)}"

    def _people(self) -> tuple[Person, Person | None]:
        rng = self.rng
        last, member = rng.choice(LAST_NAMES), self._member_id()
        if rng.random() < 0.25:
            insured = Person(last, rng.choice(FIRST_NAMES), member)
            patient_id = "" if rng.random() < 0.5 else member + "02"
            return Person(last, rng.choice(FIRST_NAMES), patient_id), insured
        return Person(last, rng.choice(FIRST_NAMES), member), None

    def _rendering(self) -> Person | None:
        rng = self.rng
        if rng.random() < 0.5:
            return None
        return Person(rng.choice(LAST_NAMES), rng.choice(FIRST_NAMES), npi(rng))

    def _claim_id(self) -> str:
        return f"{self.prefix}{next(self.ids):07d}"

    def _payer_control(self) -> str:
        return str(self.rng.randrange(10**13, 10**14))

    # -- lines -----------------------------------------------------------------------------
    def _procedure_for(self, scenario: str) -> Procedure:
        rng = self.rng
        if scenario == "deny:CO:270" or (scenario == "deny:CO:291" and rng.random() < 0.7):
            return rng.choice(DENTAL_ON_MEDICAL)
        if scenario == "deny:CO:280":
            return rng.choice(_DRUGS)
        if scenario in ("deny:CO:254", "deny:CO:290"):
            return rng.choice(_ORAL_SURGERY)
        if scenario == "mpr59":
            return rng.choice(_MULTI)
        return self.procedures.pick(rng)

    def _units_and_modifiers(
        self, proc: Procedure, scenario: str
    ) -> tuple[int | None, tuple[str, ...]]:
        rng = self.rng
        if proc.qualifier == "AD":
            return (1 if rng.random() < 0.2 else None), ()
        units: int | None = rng.randint(1, proc.max_units) if proc.max_units > 1 else None
        if units is None and rng.random() < 0.6:
            units = 1
        choices = MEDICAL_MODIFIERS.get(proc.cls, ())
        mods: tuple[str, ...] = ()
        if choices and (rng.random() < 0.3 or (scenario == "deny:CO:4" and rng.random() < 0.7)):
            mods = (rng.choice(choices),)
            if len(choices) > 1 and rng.random() < 0.2:
                other = rng.choice(choices)
                if other != mods[0]:
                    mods = (mods[0], other)
        return units, mods

    def _new_line(
        self, proc: Procedure, scenario: str, dos: date | None, claim_id: str, idx: int
    ) -> Line:
        units, mods = self._units_and_modifiers(proc, scenario)
        fee = (proc.fee * self.fee_percent + 50) // 100 * 100
        return make_line(
            proc, modifiers=mods, units=units, fee_cents=fee, service_date=dos,
            control=f"{claim_id}-{idx}",
        )  # fmt: skip

    def _lines(
        self, claim_id: str, dos: date, with_dates: bool
    ) -> list[tuple[str, Procedure, Line]]:
        rng, out = self.rng, []
        for idx in range(1, self.line_counts.pick(rng) + 1):
            scenario = self.scenarios.pick(rng)
            proc = self._procedure_for(scenario)
            line_dos = dos if self.dental or rng.random() < 0.85 else dos + timedelta(days=idx)
            line = self._new_line(proc, scenario, line_dos if with_dates else None, claim_id, idx)
            out.append((scenario, proc, line))
        return out

    # -- claims ----------------------------------------------------------------------------
    def _claim(self, claim_id: str, status: str, lines: list[Line], dos: date) -> Claim:
        rng = self.rng
        patient, insured = self._people()
        claim = Claim(
            claim_id=claim_id,
            status=status,
            filing=self.payer.filing,
            payer_control=self._payer_control(),
            patient=patient,
            insured=insured,
            rendering=self._rendering(),
            lines=lines,
            received_date=dos + timedelta(days=rng.randint(1, 12)) if rng.random() < 0.6 else None,
        )
        remarks = CLAIM_REMARKS_DENTAL if self.dental else CLAIM_REMARKS_MEDICAL
        if rng.random() < (0.05 if self.dental else 0.35):
            claim.moa = (rng.choice(remarks),)
        return claim

    def _dos(self) -> date:
        return self.check_date - timedelta(days=self.rng.randint(12, 75))

    def unit(self) -> list[Claim]:
        """One claim, or a reversal (CLP02 = 22) followed by its correction."""
        r = self.rng.random()
        if r < 0.015:
            return self.reversal_pair()
        if r < 0.045:
            return [self.claim_level_denial()]
        if r < 0.095:
            return [self.secondary(tertiary=self.rng.random() < 0.08)]
        if r < 0.098:
            return [self.not_our_claim()]
        if self.dental and r < 0.148:
            return [self.predetermination()]
        return [self.primary()]

    def primary(self) -> Claim:
        """A primary claim (CLP02 1, 4 when fully denied, 19 when crossed over)."""
        rng, dos, claim_id = self.rng, self._dos(), self._claim_id()
        header_date = rng.random() < 0.1
        lines = []
        for scenario, proc, line in self._lines(claim_id, dos, not header_date):
            lines.append(self.pricer.price(scenario, proc, line))
        claim = self._claim(claim_id, "1", lines, dos)
        if header_date:
            claim.statement_date = dos
        return self._finish(claim)

    def _finish(self, claim: Claim) -> Claim:
        rng = self.rng
        claim.settle()
        if claim.paid == 0 and claim.patient_responsibility == 0 and claim.status == "1":
            claim.status = "4"
        elif claim.status == "1" and rng.random() < (0.12 if self.payer.federal else 0.015):
            style = _CROSSOVER_STYLES.pick(rng)
            if style in ("all", "status"):
                claim.status = "19"
            if style in ("all", "carrier"):
                claim.crossover = rng.choice(CROSSOVER_CARRIERS)
            if style in _CROSSOVER_REMARK:
                claim.moa = (_CROSSOVER_REMARK[style],)
        if claim.moa:  # a remark already given for the whole claim is not repeated on lines
            for line in claim.lines:
                line.rarcs = tuple(r for r in line.rarcs if r not in claim.moa)
        if self.dental and rng.random() < 0.4:
            claim.coverage_amount = sum(max(0, line.allowed or 0) for line in claim.lines)
        return claim

    def secondary(self, tertiary: bool) -> Claim:
        """A secondary (CLP02 2) or tertiary (3) claim with OA-23 for the prior payers' share."""
        rng, dos, claim_id = self.rng, self._dos(), self._claim_id()
        claim_level = rng.random() < 0.3
        prior_total = 0
        lines = []
        for idx in range(1, self.line_counts.pick(rng) + 1):
            proc = self.procedures.pick(rng)
            line = self._new_line(proc, "paid", dos, claim_id, idx)
            allowed = self.pricer.allowed(line.charge)
            if line.charge > allowed:
                line.cas.append(Cas("CO", "45", line.charge - allowed))
            prior = pct(allowed, rng.randint(55, 95 if tertiary else 80))
            remaining = pct(allowed - prior, 20) if rng.random() < 0.4 else 0
            if claim_level:
                prior_total += prior
            elif prior:
                line.cas.append(Cas("OA", "23", prior))
            if remaining:
                line.cas.append(Cas("PR", "2", remaining))
            line.allowed = allowed
            line.paid = allowed - remaining - (0 if claim_level else prior)
            lines.append(line)
        claim = self._claim(claim_id, "3" if tertiary else "2", lines, dos)
        if prior_total:
            claim.cas.append(Cas("OA", "23", prior_total))
        return self._finish(claim)

    def claim_level_denial(self) -> Claim:
        """A claim denied as a whole: no service lines, one claim-level CAS for the charge."""
        rng, dos = self.rng, self._dos()
        charge = 0
        for _ in range(rng.randint(1, 3)):
            charge += (self.procedures.pick(rng).fee * self.fee_percent + 50) // 100 * 100
        group, carc = _CLAIM_DENIALS.pick(rng)
        claim = self._claim(self._claim_id(), "4", [], dos)
        claim.charge = charge
        claim.cas.append(Cas(group, carc, charge))
        claim.statement_date = dos
        codes = RARCS.get(carc, ())
        if codes and rng.random() < 0.6:
            claim.moa = (rng.choice(codes),)
        claim.settle()
        return claim

    def predetermination(self) -> Claim:
        """A dental predetermination (CLP02 25): priced like a paid claim for treatment not done
        yet, nothing paid; each line's estimated payment is a CO-101 ("anticipated payment upon
        completion of services")."""
        dos, claim_id = self._dos(), self._claim_id()
        lines = []
        for _, proc, line in self._lines(claim_id, dos, False):
            self.pricer.price("paid", proc, line)
            if line.paid > 0:
                line.cas.append(Cas("CO", "101", line.paid))
            line.paid = 0
            line.rarcs = ()
            lines.append(line)
        claim = self._claim(claim_id, "25", lines, dos)
        claim.statement_date = dos
        return self._finish(claim)

    def not_our_claim(self) -> Claim:
        """A claim the payer says is not its own and forwarded (CLP02 23): no lines, the whole
        charge as CO-109, mostly with the carrier it went to (NM1*TT)."""
        rng, dos = self.rng, self._dos()
        charge = 0
        for _ in range(rng.randint(1, 3)):
            charge += (self.procedures.pick(rng).fee * self.fee_percent + 50) // 100 * 100
        claim = self._claim(self._claim_id(), "23", [], dos)
        claim.charge = charge
        claim.cas.append(Cas("CO", "109", charge))
        claim.statement_date = dos
        if rng.random() < 0.7:
            claim.crossover = rng.choice(CROSSOVER_CARRIERS)
        claim.settle()
        return claim

    def reversal_pair(self) -> list[Claim]:
        """A reversal of an earlier payment (all amounts negated) and its corrected claim."""
        rng = self.rng
        original = self.primary()
        reversal = original.negated("22")
        lines = []
        for old in original.lines:
            proc = self._procedure_of(old)
            line = make_line(
                proc, modifiers=old.modifiers, units=old.units, fee_cents=0,
                service_date=old.service_date, control=old.control,
            )  # fmt: skip
            line.charge = old.charge
            scenario = "paid" if rng.random() < 0.8 else self.scenarios.pick(rng)
            lines.append(self.pricer.price(scenario, proc, line))
        correction = self._claim(original.claim_id, "1", lines, self._dos())
        correction.patient, correction.insured = original.patient, original.insured
        correction.statement_date = original.statement_date
        correction.moa = ("MA67",)
        return [reversal, self._finish(correction)]

    def _procedure_of(self, line: Line) -> Procedure:
        qualifier, code = line.procedure.split(":", 1)
        for table in (DENTAL_PROCEDURES, MEDICAL_PROCEDURES):
            for proc, _ in table:
                if proc.code == code:
                    return proc
        return Procedure(qualifier, code, line.charge // 100, "B")
