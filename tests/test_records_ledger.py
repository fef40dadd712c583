"""台账 PDF: one row per case, landscape, repeated header, filters and period."""
from __future__ import annotations

import io
import re
from datetime import date, timedelta

from pypdf import PdfReader

from tests.factories_records import comment, pdf_text, pdftotext_pages, squash
from workflow.platform.base import local_today
from workflow.records.verify import verify_record

HEADER = "序号编号来源发现时间责任主体问题描述等级整改措施/要求责任部门整改期限完成与验收状态销号时间"


def ledger(client, world, who="auditor", **params):
    return client.get("/api/v1/ledger.pdf", query_string=params, headers=world.headers(who))


def test_ledger_of_a_department_lists_each_case_once(client, world):
    mine = [world.case_at("assigned", description=f"第{i:02d}号问题起：消防通道堵塞，"
                          + "疏散指示标志损坏，" * 3 + f"第{i:02d}号问题止",
                          found_on=date(2020, 3, 5).isoformat()) for i in range(40)]
    world.step(mine[0], "accept", "dept_officer")
    closed = world.case_at("closed")
    other = world.case_at("assigned", department=world.other_dept)
    draft = world.problem()
    resp = ledger(client, world, department_id=world.dept.id)
    assert resp.status_code == 200, resp.json
    pdf = resp.data
    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert box.width > box.height  # landscape A4
    pages = [squash(p) for p in pdftotext_pages(pdf, layout=True)]
    assert len(pages) >= 3
    for page in pages:
        assert HEADER in page
        starts = set(re.findall(r"第(\d\d)号问题起", page))
        assert starts == set(re.findall(r"第(\d\d)号问题止", page)), "a row is split"
    text = "".join(pages)
    for case in mine + [closed]:
        assert text.count(case.number) == 1, case.number
    assert other.number not in text and draft.display_number not in text
    assert "2020年3月5日" in text and "区应急管理局" in text and "已销号" in text
    stamps = verify_record(world.session, pdf)
    assert stamps.ok and len(stamps.checks) == 41
    world.session.commit()  # end the read (SQLite transactions here take the write lock)
    assert ledger(client, world, department_id=world.dept.id).data == pdf  # same state, same bytes

    comment(world, mine[3], "office_staff", "催办")
    report = verify_record(world.session, pdf)
    assert not report.ok
    changed = [c for c in report.checks if not c.ok]
    assert [c.stamp.number for c in changed] == [mine[3].number]


def test_period_filters_by_registration_date(client, world):
    case = world.case_at("assigned")
    today = local_today()
    inside = ledger(client, world, **{"from": (today - timedelta(days=1)).isoformat(),
                                      "to": today.isoformat()})
    assert case.number in pdf_text(inside.data)
    assert "挂号日期" in pdf_text(inside.data)
    before = ledger(client, world, **{"to": (today - timedelta(days=1)).isoformat()})
    assert case.number not in pdf_text(before.data)
    assert "无符合条件的事项" in pdf_text(before.data)


def test_department_users_see_only_their_cases(client, world):
    mine = world.case_at("assigned")
    other = world.case_at("assigned", department=world.other_dept)
    text = pdf_text(ledger(client, world, who="dept_officer").data)
    assert mine.number in text and other.number not in text


def test_ledger_refuses_bad_parameters(client, world):
    assert ledger(client, world, limit=5).status_code == 400
    resp = ledger(client, world, **{"from": "2020-13-01"})
    assert resp.status_code == 400 and resp.json["field"] == "from"
    resp = ledger(client, world, **{"from": "2020-03-05", "to": "2020-03-01"})
    assert resp.status_code == 400
    assert ledger(client, world, status="nonsense").status_code == 400
    assert client.get("/api/v1/ledger.pdf").status_code == 401
