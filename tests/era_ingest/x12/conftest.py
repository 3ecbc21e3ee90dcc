"""Fixtures for the x12 parser tests: the copied samples and builders for hand-written 835s.

Helpers are handed out through the ``x12`` fixture (not imported) so the tests work under any
pytest import mode.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest

from era_ingest.x12 import ParsedTransaction, Problem, parse_stream

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "era-samples"

# A balanced 5010 transaction body (between ST and SE), written with '*' and ':'.
# claim: 200 - 100 = 100 = claim CAS 10 + line CAS 70 + 20; line: 190 - 100 = 90 = 70 + 20;
# BPR02 100 = CLP04 100 - no PLB.
BODY: tuple[str, ...] = (
    "BPR*I*100*C*CHK************20240105",
    "TRN*1*TRACE1*1512345678",
    "DTM*405*20240104",
    "N1*PR*ACME PAYER*XV*12345",
    "N1*PE*BRIGHT SMILES DDS*XX*1234567893",
    "LX*1",
    "CLP*CLAIM1*1*200*100*20*12*PAYERCLM1",
    "CAS*CO*45*10",
    "NM1*QC*1*DOE*JANE****MI*M123",
    "MOA***MA01",
    "DTM*232*20240101",
    "SVC*AD:D2740:XX:YY*190*100**1",
    "DTM*472*20240102",
    "CAS*CO*45*70",
    "CAS*PR*1*20",
    "AMT*B6*120",
    "LQ*HE*N123",
)

Parsed = list[ParsedTransaction | Problem]


def isa(
    *,
    element: str = "*",
    component: str = ":",
    repetition: str = "^",
    version: str = "00501",
    control: str = "000000001",
    sender: str = "SENDER",
    receiver: str = "RECEIVER",
) -> str:
    """A fixed-width ISA segment (without terminator)."""
    parts = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        sender.ljust(15),
        "ZZ",
        receiver.ljust(15),
        "240105",
        "1200",
        repetition,
        version,
        control,
        "0",
        "P",
        component,
    ]
    return element.join(parts)


def interchange(
    *transactions: Sequence[str],
    element: str = "*",
    component: str = ":",
    terminator: str = "~\n",
    repetition: str = "^",
    version: str = "00501",
    implementation: str = "005010X221A1",
    control: str = "000000001",
    group: str = "1",
    controls: Sequence[str] | None = None,
) -> str:
    """One ISA/GS interchange holding one ST..SE per body (default: one :data:`BODY`).

    Bodies are written with ``*`` and ``:``; they are translated to ``element``/``component``.
    SE01 is computed.
    """
    bodies = transactions or (BODY,)
    segments = [
        isa(
            element=element,
            component=component,
            repetition=repetition,
            version=version,
            control=control,
        ),
        f"GS*HP*SENDER*RECEIVER*20240105*1200*{group}*X*{implementation}",
    ]
    for number, body in enumerate(bodies, start=1):
        st_control = controls[number - 1] if controls else f"{number:04d}"
        segments.append(f"ST*835*{st_control}")
        segments.extend(body)
        segments.append(f"SE*{len(body) + 2}*{st_control}")
    segments.append(f"GE*{len(bodies)}*{group}")
    segments.append(f"IEA*1*{control}")
    table = str.maketrans({"*": element, ":": component})
    out = [segments[0]] + [segment.translate(table) for segment in segments[1:]]
    return terminator.join(out) + terminator


def parse_bytes(
    data: bytes | str,
    name: str = "test.835",
    chunk_size: int | None = None,
    *,
    strict: bool = False,
) -> Parsed:
    """Parse in-memory content; optionally with a tiny chunk size to exercise boundaries, or
    with strict envelope checking."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if chunk_size is None:
        return list(parse_stream(io.BytesIO(raw), name, strict=strict))
    return list(parse_stream(Trickle(raw, chunk_size), name, strict=strict))


class Trickle(io.RawIOBase):
    """A stream that returns at most ``size`` bytes per read."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data = data
        self._size = size
        self._pos = 0
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        self.reads += 1
        take = self._size if n < 0 else min(n, self._size)
        chunk = self._data[self._pos : self._pos + take]
        self._pos += len(chunk)
        return chunk


def adjustments(parsed: Parsed) -> list[dict[str, object]]:
    """All adjustments of the accepted transaction sets."""
    return [a for item in parsed if isinstance(item, ParsedTransaction) for a in item.adjustments]


def problems(parsed: Parsed) -> list[Problem]:
    """Every problem: rejections, envelope errors and warnings inside accepted sets."""
    found: list[Problem] = []
    for item in parsed:
        if isinstance(item, Problem):
            found.append(item)
        else:
            found.extend(item.problems)
    return found


@pytest.fixture
def x12() -> SimpleNamespace:
    """The helpers of this module, as one object."""
    return SimpleNamespace(
        SAMPLES=SAMPLES,
        BODY=BODY,
        isa=isa,
        interchange=interchange,
        parse=parse_bytes,
        Trickle=Trickle,
        adjustments=adjustments,
        problems=problems,
    )
