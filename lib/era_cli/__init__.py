"""The `era` command line."""
