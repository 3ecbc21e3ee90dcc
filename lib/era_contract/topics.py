"""Topic names. Every name derives from a configurable prefix (default ``era``)."""

from __future__ import annotations

from dataclasses import dataclass

from era_contract import vocabulary as v

ROUTES = v.ROUTES  # the route names, for callers of this module


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
            self.ingest_ledger,
        ]

    def configs(self) -> dict[str, dict[str, str]]:
        """Topic-level settings that differ from the broker's defaults."""
        return {self.ingest_ledger: {"cleanup.policy": "compact"}}

    def schema_for(self, topic: str) -> str:
        """Full name of the Avro schema carried by ``topic``."""
        if topic == self.adjustments:
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
