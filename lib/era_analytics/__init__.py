"""Denial analytics: which office (payee NPI), with which payer, denies above the signal, and
the upstream cause of the denials — decided once, as pure logic over the Claim and Adjustment
records (``era.claims`` / ``era.adjustments``, or `era parse --records`), with no Kafka.

- :mod:`era_analytics.codes`: which CARCs are denials, their upstream cause and appealability.
- :mod:`era_analytics.definition`: the claim-level definition (adjudicated, denied, dominant
  denial adjustment); docs/observability.md, "Denial analytics".
- :mod:`era_analytics.locations`: the optional NPI → office mapping and the bounded label.
- :mod:`era_analytics.report`: grouping claims into the rows of `era report --by`.
"""
