"""Ingest service: parses X12 835 files and publishes one event per adjustment."""
