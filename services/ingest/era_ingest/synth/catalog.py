"""Static reference tables for the synthetic 835 generator.

Fees are typical US list charges in whole dollars; names and identifiers are fictional. Nothing
here is read from outside the package, so the generator stands alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["dental", "medical"]


@dataclass(frozen=True, slots=True)
class Procedure:
    """One billable procedure: SVC01 qualifier and code, list fee, and a coverage class.

    ``cls`` is the dental benefit class (``P`` preventive, ``B`` basic, ``M`` major) or the
    medical service family (``em``, ``proc``, ``lab``, ``rad``, ``pt``, ``drug``, ``vax``).
    """

    qualifier: str
    code: str
    fee: int
    cls: str
    max_units: int = 1

    @property
    def composite_code(self) -> str:
        """``AD:D2740`` style SVC01-1/SVC01-2 value without modifiers."""
        return f"{self.qualifier}:{self.code}"


def _dental(code: str, fee: int, cls: str) -> Procedure:
    return Procedure("AD", code, fee, cls)


def _medical(code: str, fee: int, cls: str, max_units: int = 1) -> Procedure:
    return Procedure("HC", code, fee, cls, max_units)


DENTAL_PROCEDURES: tuple[tuple[Procedure, int], ...] = (
    (_dental("D0120", 55, "P"), 900),
    (_dental("D0150", 95, "P"), 250),
    (_dental("D0140", 80, "P"), 120),
    (_dental("D0210", 150, "P"), 120),
    (_dental("D0220", 30, "P"), 400),
    (_dental("D0230", 25, "P"), 250),
    (_dental("D0274", 70, "P"), 450),
    (_dental("D0330", 125, "P"), 150),
    (_dental("D1110", 110, "P"), 800),
    (_dental("D1120", 75, "P"), 200),
    (_dental("D1206", 40, "P"), 250),
    (_dental("D1208", 35, "P"), 150),
    (_dental("D1351", 55, "P"), 120),
    (_dental("D2140", 150, "B"), 150),
    (_dental("D2150", 185, "B"), 150),
    (_dental("D2330", 170, "B"), 150),
    (_dental("D2391", 190, "B"), 350),
    (_dental("D2392", 235, "B"), 300),
    (_dental("D2393", 280, "B"), 150),
    (_dental("D2740", 1350, "M"), 220),
    (_dental("D2750", 1250, "M"), 90),
    (_dental("D2790", 1200, "M"), 40),
    (_dental("D2950", 310, "M"), 160),
    (_dental("D2954", 380, "M"), 40),
    (_dental("D3310", 900, "B"), 40),
    (_dental("D3330", 1250, "B"), 60),
    (_dental("D4341", 280, "B"), 120),
    (_dental("D4342", 200, "B"), 90),
    (_dental("D4910", 150, "B"), 200),
    (_dental("D5110", 2100, "M"), 15),
    (_dental("D6010", 2400, "M"), 20),
    (_dental("D7140", 200, "B"), 150),
    (_dental("D7210", 350, "B"), 80),
    (_dental("D7240", 560, "B"), 40),
    (_dental("D8080", 6200, "M"), 10),
    (_dental("D9110", 110, "B"), 60),
    (_dental("D9230", 85, "B"), 40),
)

MEDICAL_PROCEDURES: tuple[tuple[Procedure, int], ...] = (
    (_medical("99211", 60, "em"), 150),
    (_medical("99212", 110, "em"), 350),
    (_medical("99213", 165, "em"), 900),
    (_medical("99214", 240, "em"), 650),
    (_medical("99215", 330, "em"), 150),
    (_medical("99203", 210, "em"), 150),
    (_medical("99204", 320, "em"), 120),
    (_medical("G0439", 190, "em"), 60),
    (_medical("36415", 15, "lab"), 450),
    (_medical("80053", 55, "lab"), 250),
    (_medical("85025", 40, "lab"), 250),
    (_medical("83036", 45, "lab"), 120),
    (_medical("93000", 70, "proc"), 150),
    (_medical("71046", 120, "rad"), 100),
    (_medical("73030", 110, "rad"), 60),
    (_medical("20610", 240, "proc"), 80),
    (_medical("11721", 95, "proc"), 60),
    (_medical("17110", 180, "proc"), 50),
    (_medical("97110", 65, "pt", 4), 250),
    (_medical("97140", 60, "pt", 3), 180),
    (_medical("97530", 70, "pt", 3), 90),
    (_medical("90471", 35, "vax"), 120),
    (_medical("90686", 45, "vax"), 100),
    (_medical("J3420", 25, "drug"), 40),
    (_medical("J1100", 20, "drug", 4), 30),
    (_medical("J0696", 35, "drug", 2), 30),
)

MEDICAL_MODIFIERS: dict[str, tuple[str, ...]] = {
    "em": ("25",),
    "proc": ("59", "XS", "LT", "RT", "76"),
    "rad": ("26", "TC", "LT", "RT"),
    "pt": ("GP", "KX"),
    "lab": ("QW", "91"),
    "drug": ("JZ",),
    "vax": (),
}

# An oral-surgery style medical claim for a dental procedure (CO-270 / CO-291 territory).
DENTAL_ON_MEDICAL: tuple[Procedure, ...] = (
    _dental("D7240", 560, "B"),
    _dental("D7210", 350, "B"),
    _dental("D9230", 85, "B"),
)


@dataclass(frozen=True, slots=True)
class PayerProfile:
    """A payer as it appears in N1*PR and how it adjudicates.

    ``allowed_permille`` is the share of charge the fee schedule usually allows; ``federal``
    payers apply sequestration (CO-253) and MIPS penalties (CO-237); ``id_in_n1`` puts the payer
    id in N104 (qualifier XV) instead of REF*2U; ``fixed_decimals`` prints every amount with two
    decimals (``800.00``) instead of the compact form (``800``, ``16.8``).
    """

    name: str
    payer_id: str
    kind: Kind
    filing: str
    allowed_permille: int
    discount_carc: str
    federal: bool
    id_in_n1: bool
    fixed_decimals: bool
    copay: bool
    city: str
    state: str
    zip_code: str


# name | id | kind | filing | allowed permille | discount CARC | federal | id in N1 |
# fixed decimals | copay plan | city | state | zip
_PAYER_ROWS = """
NORTHSTAR DENTAL SERVICE|94276|dental|12|690|45|0|0|0|0|COLUMBUS|OH|43215
GREAT PLAINS HEALTH MEDICARE B|05102|medical|MB|620|45|1|0|1|0|FARGO|ND|58102
GUARDIAN OAK DENTAL PLAN|60054|dental|12|740|131|0|1|0|0|HARTFORD|CT|06103
BLUE RIVER HEALTH PLAN|00590|medical|BL|680|45|0|0|0|1|DES MOINES|IA|50309
STATE MEDICAID DENTAL PROGRAM|SKTX0|dental|MC|520|45|0|1|0|0|AUSTIN|TX|78701
UNITED HARBOR HEALTHCARE|87726|medical|CI|710|45|0|0|1|1|MINNETONKA|MN|55343
CAREFIRST SMILE DHMO|52133|dental|HM|600|45|0|0|1|1|BALTIMORE|MD|21201
PACIFIC COAST MEDICARE ADVANTAGE|95321|medical|16|640|45|1|1|0|1|OAKLAND|CA|94612
LIBERTY MUTUAL DENTAL PPO|65978|dental|12|710|131|0|0|0|0|DOVER|NH|03820
EMPIRE STATE MEDICAID|MCDNY|medical|MC|480|45|0|1|0|0|ALBANY|NY|12207
"""


def _payer(row: str) -> PayerProfile:
    f = row.split("|")
    kind: Kind = "dental" if f[2] == "dental" else "medical"
    return PayerProfile(
        name=f[0],
        payer_id=f[1],
        kind=kind,
        filing=f[3],
        allowed_permille=int(f[4]),
        discount_carc=f[5],
        federal=f[6] == "1",
        id_in_n1=f[7] == "1",
        fixed_decimals=f[8] == "1",
        copay=f[9] == "1",
        city=f[10],
        state=f[11],
        zip_code=f[12],
    )


PAYERS: tuple[PayerProfile, ...] = tuple(_payer(r) for r in _PAYER_ROWS.strip().splitlines())

CROSSOVER_CARRIERS: tuple[tuple[str, str], ...] = (
    ("MEDIGAP SUPPLEMENT MUTUAL", "CO00123"),
    ("STATE MEDICAID CROSSOVER", "CO77001"),
    ("TRICARE FOR LIFE", "CO99726"),
)


@dataclass(frozen=True, slots=True)
class PayeeProfile:
    """A billing provider (N1*PE): practice name, NPI, tax id and location."""

    name: str
    npi: str
    tin: str
    kind: Kind
    city: str
    state: str
    zip_code: str


PAYEE_NAMES: tuple[tuple[str, Kind, str, str, str], ...] = (
    ("BRIGHTSMILE DENTAL PARTNERS PLLC", "dental", "AUSTIN", "TX", "78704"),
    ("RIVERSIDE FAMILY MEDICINE PA", "medical", "DAYTON", "OH", "45402"),
    ("MAPLE AVENUE DENTAL GROUP", "dental", "MADISON", "WI", "53703"),
    ("LAKESHORE ORAL SURGERY ASSOCIATES", "medical", "CHICAGO", "IL", "60611"),
    ("SUMMIT PEDIATRIC DENTISTRY LLC", "dental", "DENVER", "CO", "80202"),
    ("VALLEY INTERNAL MEDICINE GROUP", "medical", "FRESNO", "CA", "93721"),
    ("COASTAL DENTAL CARE OF TAMPA", "dental", "TAMPA", "FL", "33602"),
    ("HERITAGE PHYSICAL THERAPY INC", "medical", "RALEIGH", "NC", "27601"),
)

_LAST = (
    "SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ HERNANDEZ "
    "LOPEZ GONZALEZ WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN LEE PEREZ THOMPSON "
    "WHITE HARRIS SANCHEZ CLARK RAMIREZ LEWIS ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT "
    "TORRES NGUYEN HILL FLORES GREEN ADAMS NELSON BAKER HALL RIVERA CAMPBELL MITCHELL CARTER "
    "ROBERTS OCONNOR KOWALSKI PATEL"
)
LAST_NAMES: tuple[str, ...] = tuple(_LAST.split())

_FIRST = (
    "JAMES MARY ROBERT PATRICIA JOHN JENNIFER MICHAEL LINDA DAVID ELIZABETH WILLIAM BARBARA "
    "RICHARD SUSAN JOSEPH JESSICA THOMAS SARAH CHARLES KAREN DANIEL LISA MATTHEW NANCY "
    "ANTHONY SANDRA MARK ASHLEY STEVEN EMILY PAUL DONNA ANDREW MICHELLE JOSHUA CAROL KEVIN "
    "AMANDA BRIAN MELISSA SOFIA LIAM OLIVIA NOAH EMMA"
)
FIRST_NAMES: tuple[str, ...] = tuple(_FIRST.split())

STREETS: tuple[str, ...] = (
    "MAIN STREET",
    "OAK AVENUE",
    "PARK BOULEVARD",
    "COMMERCE DRIVE",
    "CENTER PLAZA",
    "INDUSTRIAL PARKWAY",
    "MARKET STREET",
    "RIVER ROAD",
)

# Remark codes (RARC) by the situation they explain; every code is in the official list.
RARCS: dict[str, tuple[str, ...]] = {
    "4": ("N519", "N822", "N823", "N657"),
    "16": ("M51", "N56", "N290", "MA130", "M127"),
    "18": ("M86", "N702"),
    "22": ("MA04", "N479", "N598", "MA92"),
    "29": ("N211",),
    "59": ("N19",),
    "97": ("M15", "N19", "N20"),
    "109": ("N418",),
    "237": ("N807", "N699"),
    "254": ("N216",),
    "270": ("N216", "N418"),
    "280": ("N216",),
    "289": ("N130",),
    "290": ("MA07", "N89"),
    "291": ("MA07", "N89"),
    "96": ("N130", "N216"),
    "204": ("N130",),
    "119": ("N640", "N362"),
    "paid": ("N381", "N130", "N59"),
}

CLAIM_REMARKS_MEDICAL: tuple[str, ...] = ("MA01", "MA01", "N59", "MA13")
CLAIM_REMARKS_DENTAL: tuple[str, ...] = ("N130", "N381", "N59")

# PLB adjustment reason codes with (weight, sign of the amount: +1 reduces the payment).
PLB_CODES: tuple[tuple[str, int, int], ...] = (
    ("WO", 35, 1),
    ("L6", 30, -1),
    ("72", 10, 1),
    ("FB", 10, 1),
    ("CS", 12, 0),
    ("J1", 3, 1),
)

UNKNOWN_CODES: tuple[tuple[str, str], ...] = (("CO", "999"), ("OA", "998"), ("PI", "997"))
