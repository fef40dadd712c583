"""Evidence files and rows agree: an orphan file is found (and deleted), a missing file named."""
from __future__ import annotations

import os
import time

from tests.factories import png_bytes
from workflow.core.evidence import Storage
from workflow.core.storage_check import check_storage


def test_orphans_and_missing_files(app, world, session):
    case = world.case_at("in_progress")
    ev = world.evidence(case)
    store = Storage(app.config["STORAGE_DIR"])
    orphan = store.put(png_bytes((9, 9, 9)))  # as an upload killed before its commit leaves it
    report = check_storage(session, store)
    assert report.ok and report.young == [orphan] and report.missing == []
    old = time.time() - 7200
    os.utime(store.path_for(orphan), (old, old))
    report = check_storage(session, store)
    assert report.orphans == [orphan] and not report.ok
    assert check_storage(session, store, delete_orphans=True).deleted == 1
    assert not store.path_for(orphan).exists() and store.path_for(ev.sha256).exists()
    store.path_for(ev.sha256).unlink()
    assert check_storage(session, store).missing == [ev.sha256]
    session.rollback()
    result = app.test_cli_runner().invoke(args=["evidence", "check"])
    assert result.exit_code == 1 and ev.sha256 in result.output
