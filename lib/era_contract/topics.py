"""Topic names. Every name derives from a configurable prefix (default ``era``)."""

from __future__ import annotations

from dataclasses import dataclass

from era_contract import vocabulary as v

ROUTES = v.ROUTES  # the route names, for callers of this module
STATE_RETENTION_DAYS = 548
"""How long the classifier remembers a claim (about 18 months, the usual reversal horizon)."""


@dataclass(frozen=True, slots=True)
class TopicNames:
    """The pipeline's topic names under one prefix."""

    prefix: str = "era"

    @property
    def adjustments(self) -> str:
        """Raw adjustments published by ingest."""
        return f"{self.prefix}.{v.ADJUSTMENTS_TOPIC}"

    @property
    def remittances(self) -> str:
        """One Remittance per transaction set (check or EFT), published by ingest."""
        return f"{self.prefix}.{v.REMITTANCES_TOPIC}"

    @property
    def claims(self) -> str:
        """One Claim per CLP with every service line, published by ingest."""
        return f"{self.prefix}.{v.CLAIMS_TOPIC}"

    @property
    def classified(self) -> str:
        """Adjustments with their classification."""
        return f"{self.prefix}.{v.CLASSIFIED_TOPIC}"

    @property
    def deadletter(self) -> str:
        """Everything that could not be decoded, parsed or processed."""
        return f"{self.prefix}.{v.DEADLETTER_TOPIC}"

    def route(self, route: str) -> str:
        """The work topic of ``route``, e.g. ``era.route.patient-statements``."""
        return f"{self.prefix}.{v.route_topic_base(route)}"

    @property
    def ingest_ledger(self) -> str:
        """Compacted receipts of the files ingest committed (internal to ingest)."""
        return f"{self.prefix}.{v.INGEST_LEDGER_TOPIC}"

    @property
    def classifier_changelog(self) -> str:
        """The classifier's state (its claim index), compacted (internal to the classifier)."""
        return f"{self.prefix}.{v.CLASSIFIER_CHANGELOG_TOPIC}"

    @property
    def classifier_lookup(self) -> str:
        """The classifier's lookup hop, keyed ``<payer>|<reference>`` (internal)."""
        return f"{self.prefix}.{v.CLASSIFIER_LOOKUP_TOPIC}"

    @property
    def internal(self) -> tuple[str, ...]:
        """The topics a single service keeps for itself (no event contract of their own)."""
        return (self.ingest_ledger, self.classifier_changelog, self.classifier_lookup)

    @property
    def routes(self) -> dict[str, str]:
        """Route name → topic, for every route."""
        return {route: self.route(route) for route in ROUTES}

    def all(self) -> list[str]:
        """Every topic the pipeline uses, in pipeline order, internal ones last."""
        return [
            self.remittances,
            self.claims,
            self.adjustments,
            self.classified,
            *self.routes.values(),
            self.deadletter,
            *self.internal,
        ]

    def configs(
        self, state_retention_days: int = STATE_RETENTION_DAYS
    ) -> dict[str, dict[str, str]]:
        """Topic-level settings that differ from the broker's defaults. The classifier's state
        is compacted *and* deleted after ``state_retention_days`` without a write to a key
        (the reversal horizon)."""
        retention = str(state_retention_days * 86_400_000)
        return {
            self.ingest_ledger: {"cleanup.policy": "compact"},
            self.classifier_changelog: {
                "cleanup.policy": "compact,delete",
                "retention.ms": retention,
            },
        }

    def schema_for(self, topic: str) -> str:
        """Full name of the Avro schema carried by ``topic``."""
        if topic in (self.adjustments, self.classifier_lookup):
            return v.ADJUSTMENT
        if topic == self.claims:
            return v.CLAIM
        if topic == self.remittances:
            return v.REMITTANCE
        if topic == self.deadletter:
            return v.DEAD_LETTER
        if topic == self.classified or topic in self.routes.values():
            return v.CLASSIFIED_ADJUSTMENT
        raise ValueError(f"{topic!r} is not one of the pipeline's topics ({', '.join(self.all())})")
