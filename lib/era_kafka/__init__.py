"""Kafka client configuration, topic administration and topic reading (confluent-kafka)."""
