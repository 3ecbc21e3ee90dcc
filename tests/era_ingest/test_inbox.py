from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from era_ingest.inbox import Inbox

pytestmark = pytest.mark.unit


def test_a_file_is_ready_only_once_it_stopped_changing(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path, stable_seconds=2)
    path = tmp_path / "a.835"
    path.write_text("ISA")
    assert inbox.ready(now=100.0) == []
    assert inbox.ready(now=101.0) == []
    with path.open("a") as stream:
        stream.write("*00")
    os.utime(path, ns=(1, 2))  # a changed mtime restarts the clock
    assert inbox.ready(now=101.5) == []
    assert inbox.ready(now=103.0) == []
    assert inbox.ready(now=103.6) == [path]


def test_ignores_symlinks_hidden_partial_and_directories(tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.835"
    outside.write_text("ISA")
    inbox_dir = tmp_path / "inbox"
    inbox = Inbox(inbox_dir, stable_seconds=0)
    (inbox_dir / "link.835").symlink_to(outside)
    (inbox_dir / ".hidden.835").write_text("ISA")
    (inbox_dir / "upload.835.part").write_text("ISA")
    (inbox_dir / "sub").mkdir()
    (inbox_dir / "real.835").write_text("ISA")
    assert inbox.ready(now=0.0) == [inbox_dir / "real.835"]


def test_finish_moves_the_file_and_writes_its_report(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path, stable_seconds=0)
    for name in ("good.835", "bad.835"):
        (tmp_path / name).write_text("ISA")
    done = inbox.finish(tmp_path / "good.835", rejected=False, report={"outcome": "accepted"})
    bad = inbox.finish(tmp_path / "bad.835", rejected=True, report={"outcome": "rejected"})
    assert done == tmp_path / "done" / "good.835" and done.exists()
    assert bad == tmp_path / "rejected" / "bad.835" and bad.exists()
    report = json.loads((tmp_path / "rejected" / "bad.835.report.json").read_text())
    assert report == {"outcome": "rejected"}
    assert inbox.ready(now=0.0) == []


def test_a_second_file_of_the_same_name_does_not_overwrite_the_first(tmp_path: Path) -> None:
    inbox = Inbox(tmp_path, stable_seconds=0)
    (tmp_path / "same.835").write_text("one")
    first = inbox.finish(tmp_path / "same.835", rejected=False, report={})
    (tmp_path / "same.835").write_text("two")
    second = inbox.finish(tmp_path / "same.835", rejected=False, report={})
    assert first != second
    assert first.read_text() == "one" and second.read_text() == "two"
