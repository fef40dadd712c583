"""Closure reports kept on disk by what decides their bytes (RECORD_CACHE_MB)."""
from __future__ import annotations

import os
from pathlib import Path

from tests.factories_records import comment, pdf_text
from workflow.records.render_cache import RenderCache


def kept_files(app) -> list[Path]:
    root = Path(app.config["STORAGE_DIR"]).parent / "record-cache"
    return sorted(p for p in root.rglob("*.pdf") if not p.name.startswith(".")) if root.exists() else []


def test_a_record_asked_again_is_read_back_and_a_changed_case_is_rendered_anew(app, client, world):
    app.config["RECORD_CACHE_MB"] = 64
    case = world.case_at("closed")
    url = f"/api/v1/cases/{case.id}/report.pdf"
    first = client.get(url, headers=world.headers("auditor"))
    assert first.status_code == 200 and case.number in pdf_text(first.data)
    [kept] = kept_files(app)
    assert kept.read_bytes().endswith(first.data)

    again = client.get(url, headers=world.headers("auditor"))
    assert again.data == first.data and kept_files(app) == [kept]
    # what is served is what the cache holds: a planted file comes back as it is
    head = kept.read_bytes().partition(b"\n")[0]
    planted = b"%PDF-1.7\n% planted\n" + first.data[9:]
    kept.write_bytes(head + b"\n" + planted)
    assert client.get(url, headers=world.headers("auditor")).data == planted

    # the case moves on (one more event in its chain): a new record, rendered, kept beside
    comment(world, case, "office_staff", "回访：整改效果良好")
    changed = client.get(url, headers=world.headers("auditor"))
    assert changed.status_code == 200 and changed.data != first.data
    assert "回访：整改效果良好" in pdf_text(changed.data)
    assert len(kept_files(app)) == 2


def test_a_damaged_or_unwritable_cache_costs_a_render_never_the_record(app, client, world, tmp_path):
    case = world.case_at("closed")
    url = f"/api/v1/cases/{case.id}/report.pdf"
    app.config["RECORD_CACHE_MB"] = 64
    good = client.get(url, headers=world.headers("auditor")).data
    [kept] = kept_files(app)
    kept.write_bytes(b"[]\nnot a pdf")  # a torn or foreign file is not served
    assert client.get(url, headers=world.headers("auditor")).data == good
    kept.write_bytes(b'{"a": 1}\n%PDF-1.7 foreign')  # nor one another program wrote
    assert client.get(url, headers=world.headers("auditor")).data == good
    assert kept.read_bytes().endswith(good)  # and is replaced by the fresh render

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    app.extensions["safeloop.record_cache"] = RenderCache(blocked, 64 << 20)
    resp = client.get(url, headers=world.headers("auditor"))
    assert resp.status_code == 200 and resp.data == good


def test_inputs_and_renderer_decide_the_key_and_old_records_make_room(tmp_path, monkeypatch):
    key = RenderCache.key
    base = key("<p>一</p>", identifier="closure:1:2:ab", created="2026-01-01T00:00:00", title="t")
    assert base == key("<p>一</p>", identifier="closure:1:2:ab", created="2026-01-01T00:00:00",
                       title="t")
    assert base != key("<p>二</p>", identifier="closure:1:2:ab", created="2026-01-01T00:00:00",
                       title="t")
    assert base != key("<p>一</p>", identifier="closure:1:3:cd", created="2026-01-01T00:00:00",
                       title="t")
    monkeypatch.setattr("workflow.records.render_cache.renderer_identity", lambda: "another renderer")
    assert base != key("<p>一</p>", identifier="closure:1:2:ab", created="2026-01-01T00:00:00",
                       title="t")

    cache = RenderCache(tmp_path / "c", 25_000)
    pdf = b"%PDF-1.7\n" + b"x" * 10_000
    for i in range(3):
        cache.put(f"{i:064x}", pdf, ["a warning"])
        os.utime(cache._path(f"{i:064x}"), (1_000_000 + i, 1_000_000 + i))
    assert cache.get(f"{0:064x}") == (pdf, ["a warning"])  # read: now the most recent
    cache.put(f"{3:064x}", pdf, [])
    cache.prune()  # 40 kB over 25 kB: the least recently used two go
    assert [cache.get(f"{i:064x}") is not None for i in range(4)] == [True, False, False, True]


def test_a_batch_export_takes_the_records_already_printed(app, client, world):
    from tests.test_exports import check_zip, params, wait_done

    app.config["RECORD_CACHE_MB"] = 64
    cases = [world.case_at("closed") for _ in range(2)]
    printed = client.get(f"/api/v1/cases/{cases[0].id}/report.pdf", headers=world.headers("auditor"))
    assert len(kept_files(app)) == 1
    resp = client.post("/api/v1/exports", json=params(world), headers=world.headers("auditor"))
    assert resp.status_code == 202, resp.json
    assert wait_done(client, world, resp.json["id"])["status"] == "done"
    archive = check_zip(client, world, resp.json["id"], [c.number for c in cases])
    assert archive.read(f"{cases[0].number}.pdf") == printed.data
    assert len(kept_files(app)) == 2  # the one printed read back, the other rendered and kept
