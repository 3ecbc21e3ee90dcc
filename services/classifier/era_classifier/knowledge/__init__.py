"""Versioned CARC/RARC/PLB code lists (package data). See PROVENANCE.md for sources.

Bump ``KB_VERSION`` on any change to a file in this folder: it is reported on every classified
event as ``kb_version``.
"""

KB_VERSION = "2026.10.1"
