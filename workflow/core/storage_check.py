"""Files and rows of the evidence store agree: no file without its row, no row without its file.

An upload writes its file (atomically, under its SHA-256) before the row and the audit event
are committed, so a process killed in between can leave a file that no row names — never a
row without its file. ``check_storage`` finds both kinds of disagreement; orphans older than
a grace period (an upload still in flight is younger) can be deleted with their renditions.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core.evidence import Evidence, Storage

_BLOB = re.compile(r"^[0-9a-f]{64}$")
ORPHAN_GRACE_SECONDS = 3600


@dataclass
class StorageReport:
    files: int = 0
    rows: int = 0
    orphans: list[str] = field(default_factory=list)   # files no row names (past the grace)
    young: list[str] = field(default_factory=list)     # files no row names yet (uploads in flight)
    missing: list[str] = field(default_factory=list)   # rows whose file is not there
    deleted: int = 0

    @property
    def ok(self) -> bool:
        return not self.orphans and not self.missing


def check_storage(session: Session, storage: Storage, *, delete_orphans: bool = False,
                  grace_seconds: int = ORPHAN_GRACE_SECONDS) -> StorageReport:
    report = StorageReport()
    named = set(session.scalars(select(Evidence.sha256).distinct()))
    report.rows = len(named)
    now = time.time()
    root = storage.root
    on_disk = set()
    if root.exists():
        for path in root.glob("??/??/*"):
            if not _BLOB.match(path.name):
                continue  # renditions (<sha>.<kind>.jpg) and temporary files
            on_disk.add(path.name)
            if path.name in named:
                continue
            if now - path.stat().st_mtime < grace_seconds:
                report.young.append(path.name)
                continue
            report.orphans.append(path.name)
    report.files = len(on_disk)
    report.missing = sorted(named - on_disk)
    if delete_orphans:
        for digest in report.orphans:
            blob = storage.path_for(digest)
            for extra in blob.parent.glob(f"{digest}.*.jpg"):
                extra.unlink(missing_ok=True)
            blob.unlink(missing_ok=True)
            report.deleted += 1
    return report
