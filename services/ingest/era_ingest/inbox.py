"""The drop folder: which files are complete and safe to take, and where they go afterwards.

A file is taken when it has not changed (size and modification time) for ``stable_seconds``.
Hidden files, ``*.part``/``*.tmp``/``*.partial`` names, symlinks and anything that is not a
regular file directly inside the inbox are ignored. After processing a file moves to ``done/``
or ``rejected/`` with a ``<name>.report.json`` sidecar.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

IGNORED_SUFFIXES = (".part", ".tmp", ".partial", ".report.json")
DONE = "done"
REJECTED = "rejected"


@dataclass(slots=True)
class _Seen:
    size: int
    mtime_ns: int
    since: float


class Inbox:
    """A watched directory with ``done/`` and ``rejected/`` beside the incoming files."""

    def __init__(self, root: Path, *, stable_seconds: float = 2.0) -> None:
        self.root = root
        self.stable_seconds = stable_seconds
        self.done = root / DONE
        self.rejected = root / REJECTED
        for directory in (root, self.done, self.rejected):
            directory.mkdir(parents=True, exist_ok=True)
        self._seen: dict[str, _Seen] = {}

    def ready(self, now: float | None = None) -> list[Path]:
        """Files complete enough to process, oldest first."""
        now = time.monotonic() if now is None else now
        ready: list[tuple[int, Path]] = []
        present: set[str] = set()
        with os.scandir(self.root) as entries:
            for entry in entries:
                if entry.name.startswith(".") or entry.name.endswith(IGNORED_SUFFIXES):
                    continue
                if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat(follow_symlinks=False)
                present.add(entry.name)
                seen = self._seen.get(entry.name)
                if seen is None or (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                    self._seen[entry.name] = _Seen(stat.st_size, stat.st_mtime_ns, now)
                    if self.stable_seconds > 0:
                        continue
                    seen = self._seen[entry.name]
                if now - seen.since >= self.stable_seconds:
                    ready.append((stat.st_mtime_ns, Path(entry.path)))
        for name in set(self._seen) - present:
            del self._seen[name]
        return [path for _, path in sorted(ready)]

    def finish(self, path: Path, *, rejected: bool, report: dict[str, Any]) -> Path:
        """Move ``path`` to ``done/`` or ``rejected/`` and write its report beside it."""
        target_dir = self.rejected if rejected else self.done
        target = target_dir / path.name
        if target.exists():
            stem = time.strftime("%Y%m%dT%H%M%S")
            target = target_dir / f"{path.stem}.{stem}{path.suffix}"
        report_path = target.with_name(target.name + ".report.json")
        report_path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        path.replace(target)
        self._seen.pop(path.name, None)
        return target
