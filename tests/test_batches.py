"""交办批次 (来文): a real inspection list taken in whole, 补录, and the 对账表 sent back up."""
from __future__ import annotations

import io
from datetime import date, timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.factories_records import pdf_text
from workflow.core.cases import Case
from workflow.platform.base import local_today
from workflow.problems.batches import BatchItem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FUTURE = local_today() + timedelta(days=90)
HEADER = ("原序号", "问题描述", "责任单位", "整改时限", "补录")


def workbook(rows, *, merges=(), header=HEADER, title="国务院安委会第三督导组反馈问题清单") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    for m in merges:
        ws.merge_cells(m)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def create(client, world, who="office_staff", **body):
    data = {"title": "国务院安委会第三督导组反馈问题", "issuer_level": "state",
            "doc_number": "安委督〔2020〕3号", "assigned_on": "2020-03-16",
            "deadline": "2020年底前", "backfill": True, "reporting_rule": "每月25日前报送整改进展",
            "report_day": 25, **body}
    return client.post("/api/v1/batches", json=data, headers=world.headers(who))


def upload(client, world, batch_id, data, who="office_staff", **form):
    body = {"file": (io.BytesIO(data), "清单.xlsx"),
            **{k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()}}
    return client.post(f"/api/v1/batches/{batch_id}/import", data=body,
                       headers=world.headers(who), content_type="multipart/form-data")


def count_cases(session) -> int:
    session.expire_all()
    n = session.scalar(select(func.count()).select_from(Case))
    session.rollback()
    return n


# The 2020 list as it arrives: a title row, 原序号, merged cells (one unit for items 3–4,
# one 原序号 over two rows), every kind of deadline text, a past date under 补录.
def state_list(world) -> bytes:
    a, b = world.dept.name, world.other_dept.name
    rows = [
        ("1", "危化品企业重大危险源监控系统未联网", a, "立行立改", None),
        ("2", "安全生产专项整治三年行动方案未细化", a, "长期坚持", None),
        ("3", "城镇燃气管道老化未改造", b, "年底前", None),
        ("4", "建筑施工高处作业防护缺失", None, "2020年12月底前", None),
        ("5", "消防通道被占用", b, "2020-06-30", "是"),
        ("6", "一", a, "立行立改并长期坚持", None),
        ("6", "二", a, "", None),  # empty deadline: the batch's overall deadline
    ]
    return workbook(rows, merges=["C5:C6", "A8:A9"])


def test_state_list_imports_in_full_with_every_deadline_text(client, world, session):
    resp = create(client, world)
    assert resp.status_code == 201, resp.json
    batch = resp.json
    assert batch["issuer_level"] == "state" and batch["source"] == "state_council"
    assert batch["deadline"] == "2020年底前" and batch["deadline_date"] == "2020-12-31"
    assert batch["backfill"] is True and batch["report_day"] == 25

    resp = upload(client, world, batch["id"], state_list(world), register=True)
    assert resp.status_code == 201, resp.json
    assert resp.json["created"] == 7 and resp.json["ok"] is True

    resp = client.get(f"/api/v1/batches/{batch['id']}", headers=world.headers("auditor"))
    assert resp.status_code == 200
    items = resp.json["items_list"]
    assert [i["position"] for i in items] == [1, 2, 3, 4, 5, 6, 7]
    assert [i["original_number"] for i in items] == ["1", "2", "3", "4", "5", "6", "6"]
    assert all(i["status"] == "assigned" and i["number"].startswith("WJ-") and "-DD-" in i["number"]
               for i in items)
    by_pos = {i["position"]: i for i in items}
    assert by_pos[1]["immediate"] and by_pos[1]["deadline"] == "2020-03-23"  # 5 working days
    assert by_pos[2]["long_term"] and by_pos[2]["deadline"] is None
    assert by_pos[3]["deadline"] == "2020-12-31" and by_pos[3]["deadline_text"] == "年底前"
    assert by_pos[4]["deadline"] == "2020-12-31"
    assert by_pos[4]["department_id"] == world.other_dept.id  # merged 责任单位
    assert by_pos[5]["deadline"] == "2020-06-30" and by_pos[5]["backfill"]
    assert by_pos[6]["immediate"] and by_pos[6]["long_term"] and by_pos[6]["deadline"]
    assert by_pos[7]["deadline"] == "2020-12-31"  # the batch's overall deadline
    # 补录: past deadlines kept as they were, the cases overdue from the start
    assert all(i["overdue"] for i in items if i["deadline"])
    assert not by_pos[2]["overdue"]
    assert resp.json["items"] == 7 and resp.json["overdue"] == 6
    assert resp.json["long_term_items"] == 2

    listing = client.get("/api/v1/batches", headers=world.headers("office_director"))
    assert listing.status_code == 200 and listing.json["items"][0]["id"] == batch["id"]

    # the reconciliation workbook: every row, in the list's order
    resp = client.get(f"/api/v1/batches/{batch['id']}/reconciliation.xlsx",
                      headers=world.headers("office_staff"))
    assert resp.status_code == 200 and resp.mimetype == XLSX
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert [c.value for c in ws[3]] == ["序号", "原序号", "编号", "问题", "责任单位", "整改时限",
                                       "整改状态", "销号日期", "整改情况"]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=4)]
    assert [r[0] for r in body] == [1, 2, 3, 4, 5, 6, 7]
    assert [r[1] for r in body] == ["1", "2", "3", "4", "5", "6", "6"]
    assert [r[2] for r in body] == [i["number"] for i in items]
    assert body[0][5] == "立行立改" and body[1][5] == "长期坚持" and body[2][5] == "年底前"
    assert body[4][5] == "2020年6月30日"  # a plain date, written the official way
    assert body[3][4] == world.other_dept.name
    assert body[4][6] == "已交办（逾期）" and body[4][8].startswith("逾期")
    assert "安委督〔2020〕3号" in ws["A1"].value


def test_reconciliation_pdf_reads_back_and_verifies(client, world, session):
    batch = create(client, world).json
    assert upload(client, world, batch["id"], state_list(world), register=True).status_code == 201
    resp = client.get(f"/api/v1/batches/{batch['id']}/reconciliation.pdf",
                      headers=world.headers("auditor"))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = pdf_text(resp.data)
    for word in ("SafeLoop", "sha256", "SHA-256", "链头", "审计链", "flaskrecords", "UTC", "案件"):
        assert word not in text, word
    assert "安委督〔2020〕3号" in text and "交办问题整改情况对账表" in text
    assert "电子校验码" in text and "2020年3月16日" in text
    assert world.other_dept.name in text and "共7项" in text
    numbers = [i["number"] for i in client.get(f"/api/v1/batches/{batch['id']}",
                                               headers=world.headers("auditor")).json["items_list"]]
    assert [text.index(n) for n in numbers] == sorted(text.index(n) for n in numbers)
    verify = client.post("/api/v1/records/verify", headers=world.headers("auditor"),
                         data={"file": (io.BytesIO(resp.data), "对账表.pdf")},
                         content_type="multipart/form-data")
    assert verify.status_code == 200 and verify.json["match"] is True
    assert len(verify.json["cases"]) == 7


def test_unknown_unit_refused_with_row_and_column(client, world, session):
    batch = create(client, world).json
    data = workbook([("1", "问题一", world.dept.name, "2020年底前", None),
                     ("2", "问题二", "区不存在局", "2020年底前", None)])
    before = count_cases(session)
    resp = upload(client, world, batch["id"], data)
    assert resp.status_code == 422
    (error,) = resp.json["errors"]
    assert error["row"] == 4 and error["column"] == "C" and error["header"] == "责任单位"
    assert "区不存在局" in error["text"] and error["text"].startswith("第4行 C列")
    assert count_cases(session) == before  # all or nothing


def test_past_deadline_needs_backfill(client, world, session):
    resp = create(client, world, backfill=False, deadline="2020年底前")
    assert resp.status_code == 400 and resp.json["field"] == "deadline"
    assert "补录" in resp.json["message"]
    today = local_today()
    batch = create(client, world, backfill=False, deadline=None,
                   assigned_on=today.isoformat()).json
    past = (today - timedelta(days=10)).isoformat()
    rows = [("1", "问题一", world.dept.name, past, None),
            ("2", "问题二", world.dept.name, FUTURE.isoformat(), None)]
    resp = upload(client, world, batch["id"], workbook(rows))
    assert resp.status_code == 422
    (error,) = resp.json["errors"]
    assert error["row"] == 3 and error["column"] == "D" and "补录" in error["text"]
    # the row marked 补录 is taken, its deadline kept
    rows[0] = ("1", "问题一", world.dept.name, past, "补录")
    resp = upload(client, world, batch["id"], workbook(rows), register=True)
    assert resp.status_code == 201, resp.json
    case = session.get(Case, resp.json["case_ids"][0])
    assert case.deadline == date.fromisoformat(past) and case.overdue
    assert not session.get(Case, resp.json["case_ids"][1]).overdue
    session.rollback()


def test_plain_problem_import_accepts_backfill_and_deadline_texts(client, world, session):
    past = (local_today() - timedelta(days=40)).isoformat()
    data = workbook([("1", "问题一", world.dept.name, past, None),
                     ("2", "问题二", world.dept.name, "长期坚持", None),
                     ("3", "问题三", world.dept.name, "立行立改", None)],
                    header=("原序号", "问题描述", "责任单位", "整改时限", "备注"))
    body = {"file": (io.BytesIO(data), "清单.xlsx"), "source": "media", "grade": "general"}
    resp = client.post("/api/v1/imports/problems", data=body, headers=world.headers("office_staff"),
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and resp.json["errors"][0]["row"] == 3
    body = {"file": (io.BytesIO(data), "清单.xlsx"), "source": "媒体曝光", "grade": "general",
            "backfill": "true", "register": "true"}
    resp = client.post("/api/v1/imports/problems", data=body, headers=world.headers("office_staff"),
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    cases = [session.get(Case, i) for i in resp.json["case_ids"]]
    assert [c.number.split("-")[2] for c in cases] == ["MT", "MT", "MT"]
    assert cases[0].overdue and cases[0].deadline.isoformat() == past
    assert cases[1].long_term and cases[1].deadline is None and cases[1].status == "assigned"
    assert cases[2].deadline > local_today()
    session.rollback()


def test_roles_and_missing_batches(client, world, session):
    resp = create(client, world, who="dept_officer")
    assert resp.status_code == 403 and "office_staff" in resp.json["needed_roles"]
    assert client.get("/api/v1/batches", headers=world.headers("dept_head")).status_code == 403
    assert client.get("/api/v1/batches/999", headers=world.headers("auditor")).status_code == 404
    batch = create(client, world).json
    resp = upload(client, world, batch["id"], state_list(world), who="auditor")
    assert resp.status_code == 403
    resp = create(client, world, issuer_level="county")
    assert resp.status_code == 400 and resp.json["field"] == "issuer_level"
    resp = create(client, world, deadline="尽快")
    assert resp.status_code == 400 and resp.json["field"] == "deadline"
    resp = upload(client, world, batch["id"], b"not a workbook")
    assert resp.status_code == 400 and resp.json["field"] == "file"
    assert session.scalar(select(func.count()).select_from(BatchItem)) == 0
    session.rollback()


def test_new_sources_have_their_codes(client, world, session):
    from workflow.platform.vocab import SOURCES

    for key, (name, code) in {"province_inspection": ("省级督导交办", "SD"),
                              "city_inspection": ("市级督导交办", "SS"),
                              "superior": ("上级交办", "SJ"), "media": ("媒体曝光", "MT"),
                              "referral": ("部门移送", "YS"), "accident": ("事故调查整改", "SG"),
                              "people_supervisor": ("人民监督员", "RM")}.items():
        assert SOURCES[key] == (name, code)
    batch = create(client, world, issuer_level="province", deadline=None).json
    assert batch["source"] == "province_inspection"
    batch = create(client, world, issuer_level="city", source="事故调查整改", deadline=None).json
    assert batch["source"] == "accident"
    case = world.case_at("assigned", source="people_supervisor")
    assert "-RM-" in case.number


def test_figures_count_long_term_apart_and_backfill_overdue_honestly(client, world, session):
    from workflow.assessment import figures, periods

    batch = create(client, world).json
    assert upload(client, world, batch["id"], state_list(world), register=True).status_code == 201
    today = local_today()
    window = periods.make_window(periods.parse_period(str(today.year)), today, today=today)
    (row,) = figures.compute(session, "district", window)
    # 7 items: 长期坚持 alone has no end date and is counted apart; 立行立改并长期坚持 counts in both
    assert row["long_term"] == 2 and row["long_term_open_ended"] == 1
    assert row["registered"] == 6
    # every dated item of a 2020 list registered today is overdue (more than 30 days)
    assert row["overdue_count"] == 6 and row["overdue_buckets"][">30"] == 6
    assert row["rectification_rate"] == 0
    session.rollback()


def test_batch_pages_create_import_and_show_items(world, pages, session):
    office = pages("office_staff")
    page = office.get("/batches")
    assert page.status_code == 200 and "登记交办批次" in page.text
    resp = office.post("/batches", data={"title": "市安委会督导组交办问题", "issuer_level": "city",
                                         "doc_number": "常安委办〔2020〕9号",
                                         "assigned_on": "2020-04-01", "deadline": "2020年12月底前"})
    assert resp.status_code == 422 or resp.status_code == 400
    assert "补录" in resp.text  # a past overall deadline needs 补录
    resp = office.post("/batches", data={"title": "市安委会督导组交办问题", "issuer_level": "city",
                                         "doc_number": "常安委办〔2020〕9号",
                                         "assigned_on": "2020-04-01", "deadline": "2020年12月底前",
                                         "report_day": "25", "backfill": "on"})
    assert resp.status_code == 302, resp.text
    url = resp.headers["Location"]
    view = office.get(url)
    assert "常安委办〔2020〕9号" in view.text and "每月25日前报送" in view.text
    data = state_list(world)
    preview = office.post(f"{url}/import", data={"file": (io.BytesIO(data), "清单.xlsx"),
                                                 "action": "preview"},
                          content_type="multipart/form-data")
    assert preview.status_code == 200 and "预览：7 行，0 处错误" in preview.text
    done = office.post(f"{url}/import", data={"file": (io.BytesIO(data), "清单.xlsx"),
                                              "action": "import", "register": "on"},
                       content_type="multipart/form-data")
    assert done.status_code == 302
    view = office.get(url)
    assert view.text.count("-SS-") == 7 and "立行立改并长期坚持" in view.text
    assert "对账表（Excel）" in view.text and "案件" not in view.text
    bad = workbook([("1", "问题", "区不存在局", "2020年底前", None)])
    refused = office.post(f"{url}/import", data={"file": (io.BytesIO(bad), "清单.xlsx"),
                                                 "action": "import"},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "第3行 C列（责任单位）" in refused.text
    listing = office.get("/batches")
    assert "常安委办〔2020〕9号" in listing.text
    assert pages("dept_officer").get("/batches").status_code == 403
