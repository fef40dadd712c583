"""台账 export, the export → import round trip, and bad spreadsheets (nothing written)."""
from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from workflow.core.cases import Case
from workflow.platform.base import local_today
from workflow.records.ledger_xlsx import HEADERS, TASK_HEADERS

FUTURE = local_today() + timedelta(days=60)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FULL = {
    "found_on": (local_today() - timedelta(days=3)).isoformat(), "found_by": "第三督导组",
    "industry": "危险化学品", "town": "湖塘镇", "responsible_unit": "常州某化工有限公司",
    "credit_code": "91320412MA1XXXXX0R", "location": "武进区湖塘镇某路8号",
    "basis": "《危险化学品安全管理条例》第二十条", "measures_required": "立即更换失效报警器；建立检测台账",
    "responsible_person": "刘某", "responsible_phone": "0519-86000000", "funds": "12.50",
    "suspended": True, "original_number": "督导-2020-07",
}
IMPORTABLE = ["title", "description", "source", "grade", "department_id", "deadline", "found_on",
              "found_by", "industry", "town", "responsible_unit", "credit_code", "location", "basis",
              "measures_required", "responsible_person", "responsible_phone", "funds", "suspended",
              "original_number"]


def count(session) -> int:
    session.expire_all()
    n = session.scalar(select(func.count()).select_from(Case))
    session.rollback()  # SQLite: do not keep the write lock the app needs
    return n


def upload(client, world, data: bytes, who="office_staff", **form):
    body = {"file": (io.BytesIO(data), "清单.xlsx"), **{k: str(v).lower() if isinstance(v, bool)
                                                       else v for k, v in form.items()}}
    return client.post("/api/v1/imports/problems", data=body, headers=world.headers(who),
                       content_type="multipart/form-data")


def sheet(rows, *, title_row=None, merges=(), header=("原序号", "问题描述", "责任单位", "整改时限",
                                                       "来源", "等级")) -> bytes:
    wb = Workbook()
    ws = wb.active
    if title_row:
        ws.append([title_row])
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    for m in merges:
        ws.merge_cells(m)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_ledger_layout_and_filter(client, world, session):
    full = world.case_at("closed", **FULL)
    world.problem(department=world.other_dept)
    resp = client.get(f"/api/v1/ledger.xlsx?department_id={world.dept.id}",
                      headers=world.headers("auditor"))
    assert resp.status_code == 200 and resp.mimetype == XLSX
    assert "attachment" in resp.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["问题隐患台账", "目标任务台账"]
    ws = wb["问题隐患台账"]
    assert [c.value for c in ws[1]][:25] == [
        "编号", "来源", "发现时间", "发现人/检查组", "所属行业领域", "属地", "责任主体",
        "统一社会信用代码", "地点", "问题描述", "隐患等级", "判定依据", "整改措施/要求", "责任单位",
        "责任人", "电话", "整改期限", "整改资金(万元)", "是否停产", "整改完成情况", "复查人", "复查意见",
        "销号时间", "状态", "原编号"]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["J"].width == 48
    assert ws.max_row == 2  # only the filtered department's case
    row = {h: c for h, c in zip(HEADERS, ws[2])}
    assert row["编号"].value == full.number and row["来源"].value == "巡查发现"
    assert isinstance(row["整改期限"].value, datetime) and row["整改期限"].is_date
    assert row["整改期限"].value.date() == full.deadline
    assert row["销号时间"].value.date() == local_today()
    assert row["整改资金(万元)"].value == 12.5 and row["是否停产"].value == "是"
    assert row["复查人"].value == "王经办" and row["状态"].value == "已销号"
    assert row["整改完成情况"].value == "已更换全部报警器并联动测试"
    assert row["原编号"].value == "督导-2020-07"
    # the task sheet: the same columns in the task list's words (完成时限, 办结 …)
    assert [c.value for c in wb["目标任务台账"][1]] == [TASK_HEADERS.get(h, h) for h in HEADERS]


def test_ledger_respects_what_the_user_may_see(client, world):
    world.problem(department=world.other_dept)
    world.problem()
    wb = load_workbook(io.BytesIO(client.get("/api/v1/ledger.xlsx",
                                             headers=world.headers("dept_officer")).data))
    ws = wb["问题隐患台账"]
    assert ws.max_row == 2 and ws["N2"].value == "区应急管理局"  # not the other department's
    wb = load_workbook(io.BytesIO(client.get("/api/v1/ledger.xlsx",
                                             headers=world.headers("office_staff")).data))
    assert wb["问题隐患台账"].max_row == 3
    assert client.get("/api/v1/ledger.xlsx?status=flying",
                      headers=world.headers("office_staff")).status_code == 400


def test_export_then_import_keeps_every_field(client, world, session):
    original = world.case_at("assigned", grade="major", source="state_council", **FULL)
    plain = world.problem(description="消防通道堵塞；需立即清理", title="消防通道堵塞",
                          deadline=FUTURE)
    data = client.get("/api/v1/ledger.xlsx", headers=world.headers("office_staff")).data
    before = count(session)
    resp = upload(client, world, data)
    assert resp.status_code == 201, resp.json
    assert resp.json["created"] == 2 and resp.json["status"] == "draft"
    assert count(session) == before + 2
    session.expire_all()
    new = {c.title: c for c in session.scalars(select(Case).where(
        Case.id.in_(resp.json["case_ids"])))}
    for old in (original, plain):
        session.refresh(old)
        copy = new[old.title]
        for field in IMPORTABLE:
            if field == "original_number" and not old.original_number:
                assert copy.original_number == old.number  # None for a draft
                continue
            assert getattr(copy, field) == getattr(old, field), field
        assert copy.status == "draft" and copy.kind == "problem"
    assert new[original.title].funds == Decimal("12.50")


def test_dates_in_many_forms_and_merged_cells(client, world, session):
    d = FUTURE
    serial = (d - date(1899, 12, 30)).days
    rows = [
        (1, "甲问题", "区应急管理局", d.isoformat(), "国务院督导反馈", "一般"),
        (2, "乙问题", "区应急管理局", f"{d.year}/{d.month}/{d.day}", "国务院督导反馈", "一般"),
        (None, None, None, None, None, None),  # an empty row between groups
        (3, "丙问题", "区住建局", f"{d.year}年{d.month}月{d.day}日前", "国务院督导反馈", "重大"),
        (4, "丁问题", None, f"{d.year}.{d.month}.{d.day}", "国务院督导反馈", "一般"),
        (5, "戊问题", "区住建局、区应急管理局", serial, "国务院督导反馈", "一般"),
        (6, "己问题", "区住建局", d, "巡查发现", "一般"),
    ]
    # 责任单位 merged over rows 6–7 (丙 and 丁); a title row merged across the top
    data = sheet(rows, title_row="第三督导组反馈问题清单", merges=["A1:F1", "C6:C7"])
    resp = upload(client, world, data, dry_run=True)
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["ok"] is True and body["header_row"] == 2 and body["created"] == 0
    assert [r["row"] for r in body["rows"]] == [3, 4, 6, 7, 8, 9]  # empty row 5 skipped
    assert {r["values"]["deadline"] for r in body["rows"]} == {d.isoformat()}
    assert body["rows"][3]["values"]["department_id"] == world.other_dept.id  # from the merge
    assert body["rows"][4]["values"]["co_department_ids"] == [world.dept.id]
    assert count(session) == 0  # a preview writes nothing
    resp = upload(client, world, data, register=True)
    assert resp.status_code == 201, resp.json
    assert resp.json["status"] == "assigned"
    session.expire_all()
    cases = session.scalars(select(Case).order_by(Case.id)).all()
    assert [c.original_number for c in cases] == ["1", "2", "3", "4", "5", "6"]
    assert all(c.status == "assigned" and c.number for c in cases)
    assert cases[2].grade == "major" and cases[0].source == "state_council"
    assert [d.name for d in cases[4].co_departments] == ["区应急管理局"]


def test_bad_rows_are_named_and_nothing_is_written(client, world, session):
    d = FUTURE.isoformat()
    rows = [
        (1, "好的一行", "区应急管理局", d, "巡查发现", "一般"),
        (2, "部门不存在", "区火星局", d, "巡查发现", "一般"),
        (3, "日期写错", "区应急管理局", "尽快整改", "巡查发现", "一般"),
        (4, "公式", "区应急管理局", "=TODAY()+30", "巡查发现", "一般"),
        (5, None, "区应急管理局", d, "外星来源", "特大"),
        (6, "期限已过", "区应急管理局", "2001-01-01", "巡查发现", "一般"),
    ]
    resp = upload(client, world, sheet(rows))
    assert resp.status_code == 422 and resp.json["error"] == "import_rejected"
    errs = {(e["row"], e["column"]) for e in resp.json["errors"]}
    assert errs == {(3, "C"), (4, "D"), (5, "D"), (6, "B"), (6, "E"), (6, "F"), (7, "D")}
    texts = [e["text"] for e in resp.json["errors"]]
    assert any(t.startswith("第3行 C列（责任单位）：") and "区火星局" in t for t in texts)
    assert any(t.startswith("第5行 D列（整改时限）：") and "公式" in t for t in texts)
    assert any("第7行 D列" in t and "早于" in t for t in texts)
    assert "未导入任何数据" in resp.json["message"]
    assert count(session) == 0
    # the preview shows the same errors with 200
    resp = upload(client, world, sheet(rows), dry_run=True)
    assert resp.status_code == 200 and resp.json["ok"] is False and len(resp.json["errors"]) == 7
    # explicitly allowing a partial import writes the good row only
    resp = upload(client, world, sheet(rows), all_or_nothing=False)
    assert resp.status_code == 201 and resp.json["created"] == 1
    assert count(session) == 1


def test_wrong_headers(client, world, session):
    data = sheet([(1, "x", "区应急管理局")], header=("编号", "内容", "单位"))
    resp = upload(client, world, data)
    assert resp.status_code == 422
    assert "问题描述" in resp.json["message"] and "整改期限" in resp.json["message"]
    assert "内容" in resp.json["message"]  # the headers it did see
    assert count(session) == 0


def test_missing_source_needs_a_default(client, world, session):
    data = sheet([(1, "无来源", "区应急管理局", FUTURE.isoformat())],
                 header=("序号", "问题", "责任部门", "完成时限"))
    resp = upload(client, world, data)
    assert resp.status_code == 422
    assert [(e["column"], e["message"][:6]) for e in resp.json["errors"]] == [
        (None, "缺少问题来源"), (None, "缺少隐患等级")]
    resp = upload(client, world, data, source="国务院督导反馈", grade="一般")
    assert resp.status_code == 201
    assert resp.json["created"] == 1 and count(session) == 1


def test_unreadable_files(client, world, session):
    encrypted = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    resp = upload(client, world, encrypted)
    assert resp.status_code == 400 and "密码" in resp.json["message"]
    resp = upload(client, world, b"not a spreadsheet at all")
    assert resp.status_code == 400 and resp.json["field"] == "file"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    resp = upload(client, world, buf.getvalue())
    assert resp.status_code == 400 and "损坏" in resp.json["message"]
    truncated = sheet([(1, "x", "区应急管理局", FUTURE.isoformat(), "巡查发现", "一般")])[:300]
    assert upload(client, world, truncated).status_code == 400
    assert count(session) == 0


def test_import_roles(client, world, session):
    data = sheet([(1, "x", "区应急管理局", FUTURE.isoformat(), "巡查发现", "一般")])
    resp = upload(client, world, data, who="dept_officer")
    assert resp.status_code == 403 and resp.json["rules"] == ["role_required"]
    resp = upload(client, world, data, who="office_director", register=True)
    assert resp.status_code == 403 and resp.json["needed_roles"] == ["office_staff"]
    resp = upload(client, world, data, who="office_director")
    assert resp.status_code == 201
    assert client.post("/api/v1/imports/problems", headers=world.headers("office_staff"),
                       data={}, content_type="multipart/form-data").status_code == 400
    events = client.get(f"/api/v1/cases/{resp.json['case_ids'][0]}/events",
                        headers=world.headers("auditor")).json["items"]
    assert [e["trigger"] for e in events] == ["create", "import"]
    assert events[1]["payload"]["row"] == 2


def test_import_page_preview(client, world, session):
    from tests.test_kpis_api import login

    login(client, world.users["office_staff"])
    page = client.get("/imports/problems")
    assert page.status_code == 200
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    data = sheet([(1, "页面预览", "区火星局", FUTURE.isoformat(), "巡查发现", "一般")])
    resp = client.post("/imports/problems", data={"file": (io.BytesIO(data), "a.xlsx"),
                                                  "csrf_token": token, "action": "preview"},
                       content_type="multipart/form-data")
    assert resp.status_code == 200 and "第2行 C列（责任单位）" in resp.text
    assert count(session) == 0


def test_ledger_export_keeps_text_with_control_characters(client, world):
    """Text pasted from Word can hold a vertical tab or a bell: the export drops them, no error."""
    import io

    from openpyxl import load_workbook

    case = world.problem(title="消防通道\x0b堵塞\x07", description="第一行\x0b第二行")
    resp = client.get(f"/api/v1/ledger.xlsx?department_id={world.dept.id}&status=draft",
                      headers=world.headers("office_staff"))
    assert resp.status_code == 200
    sheet = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    values = [c.value for row in sheet.iter_rows(min_row=2) for c in row]
    assert "第一行第二行" in values and "消防通道堵塞" in values and case.id
