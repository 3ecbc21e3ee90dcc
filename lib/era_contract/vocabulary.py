"""The pipeline's vocabulary: every name that more than one module (or a downstream consumer)
relies on, defined once. Route names, group-code sets, event schema names and topic base names
live here; ``topics.py``, the classifier's knowledge base, the router and the codec take them
from this module instead of spelling them again."""

from __future__ import annotations

# ---- routes (docs/ROUTING: one work topic each) ------------------------------------------
WRITEOFF = "writeoff"
APPEALS = "appeals"
PATIENT_STATEMENTS = "patient_statements"
COB_REBILL = "cob_rebill"
REVIEW = "review"
PREDETERMINATIONS = "predeterminations"

ROUTES: tuple[str, ...] = (
    WRITEOFF,
    APPEALS,
    PATIENT_STATEMENTS,
    COB_REBILL,
    REVIEW,
    PREDETERMINATIONS,
)
"""Every route, in the order reports list them."""

PREDETERMINATION_FORBIDDEN_ROUTES = frozenset({WRITEOFF, APPEALS, PATIENT_STATEMENTS, COB_REBILL})
"""Routes no adjustment of a predetermination (CLP02 25) may reach: nothing was paid, so
nothing is written off, appealed, billed or rebilled; the classifier avoids them and the router
guards them."""

# ---- CAS group codes ----------------------------------------------------------------------
GROUP_CODES: tuple[str, ...] = ("CO", "PR", "OA", "PI", "CR")
"""Every claim adjustment group code of the 835 (CR only in 4010 files)."""

TABLE_GROUP_CODES: tuple[str, ...] = ("CO", "PR", "OA", "PI")
"""The group codes the knowledge base has a column for (CR is read by the code's natural group)."""

NO_PATIENT_GROUPS = frozenset({"CO", "PI"})
"""Groups whose amounts the patient never owes (contractual and payer-initiated reductions)."""

# ---- adjustment levels --------------------------------------------------------------------
LEVELS: tuple[str, ...] = ("claim", "line", "provider")

# ---- event schemas (full Avro names) ------------------------------------------------------
ADJUSTMENT = "era.events.Adjustment"
CLASSIFIED_ADJUSTMENT = "era.events.ClassifiedAdjustment"
DEAD_LETTER = "era.events.DeadLetter"
CLAIM = "era.events.Claim"
REMITTANCE = "era.events.Remittance"

# ---- topic base names (the topic is "<prefix>.<base>") -------------------------------------
ADJUSTMENTS_TOPIC = "adjustments"
CLASSIFIED_TOPIC = "adjustments.classified"
CLAIMS_TOPIC = "claims"
REMITTANCES_TOPIC = "remittances"
DEADLETTER_TOPIC = "deadletter"
INGEST_LEDGER_TOPIC = "ingest.files"
CLASSIFIER_CHANGELOG_TOPIC = "classifier.claim-index-changelog"
"""The classifier's claim index (links across files), compacted; partition p = era.adjustments p."""
CLASSIFIER_LOOKUP_TOPIC = "classifier.claim-lookup"
"""The classifier's repartition hop: PLB items and CLP07 index entries keyed payer|reference."""
ROUTE_TOPIC_PREFIX = "route."


def route_topic_base(route: str) -> str:
    """The base name of ``route``'s work topic, e.g. ``route.patient-statements``."""
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}; expected one of {', '.join(ROUTES)}")
    return f"{ROUTE_TOPIC_PREFIX}{route.replace('_', '-')}"
