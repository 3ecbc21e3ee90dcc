"""Event contract shared by every service: models, Avro schemas, codec and topic names."""
