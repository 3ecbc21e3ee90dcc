"""Deterministic generator of realistic, balanced X12 835 (005010X221A1) remittance files.

``generate(out, seed=…, target_adjustments=…)`` streams dental and medical checks covering every
adjustment code of the default routing policy (contractual, patient responsibility, COB,
denials, hidden denials, reversals and corrections, PLB) and returns a :class:`SynthSummary`
that tests and benchmarks compare parser output against.
"""

from .generator import generate
from .summary import ExpectedAdjustment, SynthSummary

__all__ = ["ExpectedAdjustment", "SynthSummary", "generate"]
