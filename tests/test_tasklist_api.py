"""The task list through the CLI, the JSON API and the upload pages."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from tests.factories import png_bytes
from tests.factories_tasklist import browser_login, row_counts
from tests.htmlcheck import inline_scripts
from tests.tasklist_builders import build_docx, build_xlsx, sample_bytes, sample_rows
from workflow.core.audit import AuditEvent
from workflow.org.models import Department
from workflow.platform.base import local_today
from workflow.tasklist.models import PlanItem


def _cfb(*streams: str) -> bytes:
    """A compound (OLE) file as Office writes it for a password-protected document."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    return header + b"".join(s.encode("utf-16-le") + b"\x00" * 8 for s in streams)


def _half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _no_departments() -> bytes:
    rows = sample_rows()
    rows[6][4] = ""  # item 6: 签订安全生产目标管理责任书
    return build_xlsx(rows)


# name → (bytes, filename, what the message must say)
BAD_FILES = {
    "not_a_task_list": (lambda: "会议纪要\n\t姓名\n\t电话\n\n".encode(), "纪要.txt",
                        "文件“纪要.txt”不是目标任务清单"),
    "no_content_column": (lambda: sample_bytes().decode().replace("\t具体内容\n", "\t工作内容\n", 1)
                          .encode(), "清单.txt", "第4行的表头缺少“具体内容”列"),
    "empty": (lambda: b"", "空.txt", "文件“空.txt”为空"),
    "password_protected": (lambda: _cfb("EncryptionInfo", "EncryptedPackage"), "清单.xlsx",
                           "文件“清单.xlsx”设有打开密码"),
    "corrupt_docx": (lambda: _half(build_docx(sample_rows())), "清单.docx", "“清单.docx”已损坏"),
    "corrupt_xlsx": (lambda: _half(build_xlsx(sample_rows())), "清单.xlsx", "“清单.xlsx”已损坏"),
    "row_without_departments": (_no_departments, "清单.xlsx",
                                "工作表“目标任务清单”第8行：具体内容“签订安全生产目标管理责任书"),
}


def _post_import(client, headers, data: bytes, filename: str, year="2020", **form):
    body = {"file": (io.BytesIO(data), filename), "year": year, "create_unknown": "true", **form}
    return client.post("/api/v1/plans/import", data=body, headers=headers,
                       content_type="multipart/form-data")


# --- bad files: CLI and API refuse, name the part or row, write nothing ----------------------


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_on_the_cli(name, runner, world, session, tmp_path):
    make, filename, message = BAD_FILES[name]
    path = tmp_path / filename
    path.write_bytes(make())
    before = row_counts(session)
    out = runner.invoke(args=["import-tasklist", str(path), "--year", "2020", "--create-unknown"])
    assert out.exit_code != 0
    assert message in out.stderr, out.output
    assert "Traceback" not in out.output
    assert row_counts(session) == before


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_file_on_the_api(name, client, world, session):
    make, filename, message = BAD_FILES[name]
    headers = world.headers("office_staff")
    before = row_counts(session)
    resp = _post_import(client, headers, make(), filename)
    assert resp.status_code == 400, resp.json
    assert message in resp.json["message"] and resp.json["field"] == "file"
    assert row_counts(session) == before


def test_bad_row_is_named_in_the_api_body(client, world):
    resp = _post_import(client, world.headers("office_staff"), _no_departments(), "清单.xlsx")
    assert resp.json["row"] == 8 and resp.json["part"] == "工作表“目标任务清单”"
    assert resp.json["message"].endswith("缺少责任部门")


# --- CLI -----------------------------------------------------------------------------------


def test_cli_dry_run_then_import_then_again(runner, world, session):
    path = "data/wujin-2020-task-list.txt"
    before = row_counts(session)
    out = runner.invoke(args=["import-tasklist", path, "--year", "2020", "--create-unknown", "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "共 5 个目标项目、18 个目标任务、50 项具体内容" in out.output
    assert "任务：将挂号交办 72 件" in out.output and "预览：未写入任何数据" in out.output
    assert row_counts(session) == before

    out = runner.invoke(args=["import-tasklist", path, "--year", "2020", "--create-unknown"])
    assert out.exit_code == 0, out.output
    assert "已新建 2020 年度目标任务清单" in out.output and "已挂号交办 72 件" in out.output
    after = row_counts(session)
    assert after["plans"] == 1 and after["plan_items"] == 50 and after["cases"] == 72

    out = runner.invoke(args=["import-tasklist", path, "--year", "2020", "--create-unknown"])
    assert out.exit_code == 0 and "与已导入的清单内容相同" in out.output
    assert row_counts(session) == after
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_cli_refuses_a_changed_list_until_confirmed(runner, world, session, tmp_path):
    assert runner.invoke(args=["import-tasklist", "data/wujin-2020-task-list.txt",
                               "--year", "2020", "--create-unknown"]).exit_code == 0
    rows = sample_rows()
    del rows[-1]
    path = tmp_path / "修订.xlsx"
    path.write_bytes(build_xlsx(rows))
    before = row_counts(session)
    out = runner.invoke(args=["import-tasklist", str(path), "--year", "2020", "--create-unknown"])
    assert out.exit_code == 1 and "删除 1 项" in out.stderr and "删除 第50项" in out.stderr
    assert row_counts(session) == before
    out = runner.invoke(args=["import-tasklist", str(path), "--year", "2020", "--create-unknown", "--apply-changes"])
    assert out.exit_code == 0, out.output
    assert "请主任核实后撤销" in out.output


def test_cli_needs_an_office_staff_account(runner, session, tmp_path):
    before = row_counts(session)
    out = runner.invoke(args=["import-tasklist", "data/wujin-2020-task-list.txt", "--year", "2020", "--create-unknown"])
    assert out.exit_code != 0 and "经办人" in out.output
    assert row_counts(session) == before


# --- API -----------------------------------------------------------------------------------


@pytest.fixture
def imported(client, world, session):
    resp = _post_import(client, world.headers("office_staff"), sample_bytes(), "wujin.txt")
    assert resp.status_code == 201, resp.json
    return resp.json


def test_api_dry_run_writes_nothing(client, world, session):
    headers = world.headers("office_staff")
    before = row_counts(session)
    resp = _post_import(client, headers, sample_bytes(), "wujin.txt",
                        dry_run="true")
    assert resp.status_code == 200 and resp.json["dry_run"] and not resp.json["applied"]
    assert resp.json["counts"]["cases"] == 72 and resp.json["summary"][-1] == "预览：未写入任何数据"
    assert row_counts(session) == before


def test_api_import_and_read_back(client, world, imported):
    assert imported["counts"] == {"projects": 5, "tasks": 18, "items": 50, "unchanged": 0,
                                  "renumbered": 0, "added": 50, "removed": 0, "changed": 0,
                                  "cases": 72}
    headers = world.headers("dept_officer")
    plans = client.get("/api/v1/plans", headers=headers).json["items"]
    assert [(p["year"], p["counts"]["items"]) for p in plans] == [(2020, 50)]
    plan = client.get(f"/api/v1/plans/{imported['plan_id']}", headers=headers).json
    assert len(plan["projects"]) == 5
    assert sum(len(p["tasks"]) for p in plan["projects"]) == 18
    assert sum(p["counts"]["items"] for p in plan["projects"]) == 50
    assert sum(p["counts"]["cases"] for p in plan["projects"]) == 72

    items = client.get(f"/api/v1/plans/{imported['plan_id']}/items", headers=headers).json["items"]
    assert len(items) == 50
    first = items[0]
    for key in ("project_no", "project", "task", "content", "lead_departments", "co_departments",
                "remark", "target_count", "target_period", "case_ids"):
        assert key in first
    assert first["lead_departments"] == ["区委宣传部"] and first["co_departments"] == []
    assert first["co_groups"] == ["安委会成员单位", "各镇、开发区、街道"]
    assert (first["target_count"], first["target_period"]) == (1, 1)
    assert items[1]["target_period"] == 3 and len(items[1]["case_ids"]) == 3
    assert items[1]["cases"][0]["progress"] == "0/1"
    assert items[-1]["remark"] == "" and items[3]["target_count"] is None
    assert sum(len(i["case_ids"]) for i in items) == 72
    case = client.get(f"/api/v1/cases/{items[1]['case_ids'][0]}",
                      headers=world.headers("office_staff")).json
    assert case["kind"] == "task" and case["status"] == "assigned"
    assert case["number"].startswith("WJ-2020-RW-") and case["deadline"] == "2020-12-31"


def test_api_reimport_changes_nothing(client, world, session, imported):
    before = row_counts(session)
    resp = _post_import(client, world.headers("office_staff"), sample_bytes(), "wujin.txt")
    assert resp.status_code == 200 and resp.json["counts"]["cases"] == 0
    assert resp.json["counts"]["unchanged"] == 50
    assert row_counts(session) == before


def test_api_changed_list_is_409_until_confirmed(client, world, session, imported):
    rows = sample_rows()
    del rows[-1]
    before = row_counts(session)
    resp = _post_import(client, world.headers("office_staff"), build_xlsx(rows), "修订.xlsx")
    assert resp.status_code == 409 and "删除 1 项" in resp.json["message"]
    assert row_counts(session) == before
    resp = _post_import(client, world.headers("office_staff"), build_xlsx(rows), "修订.xlsx",
                        apply_changes="true")
    assert resp.status_code == 200 and resp.json["counts"]["removed"] == 1


@pytest.mark.parametrize("who, form, status", [
    ("dept_head", {}, 403), ("inspector", {"dry_run": "true"}, 403), ("auditor", {}, 403),
    ("office_director", {}, 403), ("office_director", {"dry_run": "true"}, 200),
])
def test_api_import_roles(who, form, status, client, world, session):
    headers = world.headers(who)
    before = row_counts(session)
    resp = _post_import(client, headers, sample_bytes(), "wujin.txt", **form)
    assert resp.status_code == status, resp.json
    assert row_counts(session) == before


@pytest.mark.parametrize("form, field", [
    ({"year": "二〇二〇"}, "year"), ({"dry_run": "maybe"}, "dry_run"), ({"extra": "1"}, "extra"),
])
def test_api_import_input_errors(form, field, client, world):
    resp = _post_import(client, world.headers("office_staff"), sample_bytes(), "wujin.txt", **form)
    assert resp.status_code == 400 and resp.json["field"] == field


def test_api_needs_a_file_and_a_login(client, world):
    resp = client.post("/api/v1/plans/import", data={"year": "2020"},
                       headers=world.headers("office_staff"), content_type="multipart/form-data")
    assert resp.status_code == 400 and resp.json["field"] == "file"
    assert client.get("/api/v1/plans").status_code == 401
    assert client.get("/api/v1/plans/99", headers=world.headers("office_staff")).status_code == 404


def test_openapi_lists_the_plan_paths(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/plans/import", "/plans", "/plans/{plan_id}", "/plans/{plan_id}/items",
            "/cases/{case_id}/occurrences", "/plan-items/{item_id}"} <= set(paths)


# --- target occurrences --------------------------------------------------------------------


def _item_cases(session, seq: int) -> tuple[int, list[int]]:
    """The item's id and its case ids; the session is left without a transaction."""
    session.expire_all()
    item = session.scalar(select(PlanItem).where(PlanItem.seq == seq))
    found = item.id, [c.id for c in item.cases]
    session.rollback()
    return found


def _evidence(client, headers, case_id) -> int:
    resp = client.post(f"/api/v1/cases/{case_id}/evidence",
                       data={"file": (io.BytesIO(png_bytes()), "会议照片.png"), "category": "report"},
                       headers=headers, content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def _occurrence(client, headers, case_id, **body):
    return client.post(f"/api/v1/cases/{case_id}/occurrences", json=body, headers=headers)


def _case_of(session, seq: int, department: str) -> int:
    session.expire_all()
    item = session.scalar(select(PlanItem).where(PlanItem.seq == seq))
    found = next(c.id for c in item.cases if c.department.name == department)
    session.rollback()
    return found


def test_occurrences_count_towards_the_target(client, world, session, imported):
    # item 3: 区委常委会（每年不少于2次）和政府常务会议（每年不少于4次）: 区委办 owes 2
    case_id = _case_of(session, 3, "区委办")
    dept = session.scalar(select(Department).where(Department.name == "区委办"))
    world.users["qwb"] = world.user("dept_officer", dept, "区委办联络员")
    session.commit()
    headers = world.headers("qwb")
    assert client.get(f"/api/v1/cases/{case_id}/occurrences", headers=headers).json["progress"] == "0/2"
    first = _evidence(client, headers, case_id)
    resp = _occurrence(client, headers, case_id, occurred_on="2020-03-05",
                       note="区委常委会专题研究安全生产工作", evidence_ids=[first])
    assert resp.status_code == 201, resp.json
    assert resp.json["progress"] == "1/2"
    again = _occurrence(client, headers, case_id, occurred_on="2020-06-01", note="再次",
                        evidence_ids=[first])
    assert again.status_code == 400 and again.json["field"] == "evidence_ids"
    second = _evidence(client, headers, case_id)
    assert _occurrence(client, headers, case_id, occurred_on="2020-06-01",
                       note="区委常委会再次研究安全生产", evidence_ids=[second]).json["progress"] == "2/2"
    body = client.get(f"/api/v1/cases/{case_id}/occurrences", headers=headers).json
    assert body["progress"] == "2/2" and [o["evidence_ids"] for o in body["items"]] == [[first], [second]]
    events = client.get(f"/api/v1/cases/{case_id}/events", headers=headers).json["items"]
    occ = [e for e in events if e["action"] == "occurrence"]
    assert [e["payload"]["progress"] for e in occ] == ["1/2", "2/2"]
    assert occ[0]["payload"]["evidence"][0]["id"] == first
    items = client.get(f"/api/v1/plans/{imported['plan_id']}/items", headers=headers).json["items"]
    progress = {c["department"]: c["progress"] for c in items[2]["cases"]}
    assert progress == {"区委办": "2/2", "区政府办": "0/4"}
    session.rollback()
    from workflow.core.audit import verify_all
    assert list(verify_all(session)) == []


@pytest.mark.parametrize("body, status, field", [
    ({"occurred_on": "2019-12-31", "note": "太早"}, 400, "occurred_on"),  # the cycle: 2020–2022
    ({"occurred_on": "2023-01-01", "note": "太晚"}, 400, "occurred_on"),
    ({"occurred_on": "2020-05-01", "note": " "}, 400, "note"),
    ({"occurred_on": "2020-05-01", "note": "x", "evidence_ids": []}, 400, "evidence_ids"),
    ({"occurred_on": "2020-05-01", "note": "x", "evidence_ids": [999]}, 400, "evidence_ids"),
    ({"occurred_on": "5月1日", "note": "x"}, 400, "occurred_on"),
])
def test_occurrence_input_is_checked(body, status, field, client, world, session, imported):
    # item 2: 每3年开展一次; 区应急管理局 (second line) owes it with its own case
    case_id = _case_of(session, 2, "区应急管理局")
    headers = world.headers("dept_officer")
    ev = _evidence(client, headers, case_id)
    before = row_counts(session)
    resp = _occurrence(client, headers, case_id, **{"evidence_ids": [ev], **body})
    assert resp.status_code == status and resp.json.get("field") == field, resp.json
    assert row_counts(session) == before


def test_occurrence_permissions_and_target(client, world, session, imported):
    case_id = _case_of(session, 2, "区应急管理局")
    co_headers = world.headers("dept_officer")
    ev = _evidence(client, co_headers, case_id)
    body = {"occurred_on": "2020-09-01", "note": "区级部门分管负责人专题研讨班", "evidence_ids": [ev]}
    assert _occurrence(client, world.headers("other_officer"), case_id, **body).status_code == 404
    assert _occurrence(client, world.headers("office_staff"), case_id, **body).status_code == 403
    resp = _occurrence(client, co_headers, case_id, **body)
    assert resp.status_code == 201 and resp.json["progress"] == "1/1"
    # item 4 has no quantitative target
    plain = _case_of(session, 4, "区政府办")
    other = session.scalar(select(Department).where(Department.name == "区政府办"))
    session.commit()  # release SQLite's lock before the request
    case = client.get(f"/api/v1/cases/{plain}", headers=world.headers("office_staff")).json
    assert case["department"] == "区政府办"
    world.users["zfb"] = world.user("dept_officer", other, "区政府办联络员")
    session.commit()
    ev2 = _evidence(client, world.headers("zfb"), plain)
    resp = _occurrence(client, world.headers("zfb"), plain, occurred_on="2020-02-02",
                       note="x", evidence_ids=[ev2])
    assert resp.status_code == 422 and resp.json["rules"] == ["target_required"]


def test_office_edits_a_target_and_the_cases_record_it(client, world, session, imported):
    item_id, cases = _item_cases(session, 2)
    resp = client.patch(f"/api/v1/plan-items/{item_id}", json={"target_count": 2, "target_period": 1},
                        headers=world.headers("office_staff"))
    assert resp.status_code == 200 and (resp.json["target_count"], resp.json["target_period"]) == (2, 1)
    for case_id in cases:
        last = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case_id)
                              .order_by(AuditEvent.seq.desc()).limit(1))
        assert last.action == "target_changed" and last.payload["after"] == {
            "target_count": 2, "target_period": 1}
    session.rollback()
    assert client.patch(f"/api/v1/plan-items/{item_id}", json={"target_count": 0},
                        headers=world.headers("office_staff")).status_code == 400
    assert client.patch(f"/api/v1/plan-items/{item_id}", json={"target_count": 3},
                        headers=world.headers("dept_head")).status_code == 403
    # a re-import of the same file keeps the edited target
    _post_import(client, world.headers("office_staff"), sample_bytes(), "wujin.txt")
    session.expire_all()
    assert session.get(PlanItem, item_id).target_count == 2
    session.rollback()


# --- pages ---------------------------------------------------------------------------------


def test_upload_preview_confirm_and_plan_page(client, world, session):
    token = browser_login(client, world.users["office_staff"])
    page = client.get("/plans/")
    assert page.status_code == 200 and "导入清单" in page.get_data(as_text=True)
    before = row_counts(session)
    resp = client.post("/plans/preview", data={
        "csrf_token": token, "year": "2020", "doc_number": "武安委〔2020〕1号",
        "file": (io.BytesIO(build_docx(sample_rows())), "清单.docx")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert "预览：未写入任何数据" in html and "系统中没有的名称" in html
    assert 'name="name:区委宣传部"' in html  # offered for a choice, not created
    assert row_counts(session) == before
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', html).group(1)
    resp = client.post("/plans/confirm", data={"csrf_token": token, "sha256": sha, "year": "2020",
                                               "filename": "清单.docx", "title": "",
                                               "doc_number": "武安委〔2020〕1号",
                                               "create_unknown": "1"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    page = client.get(resp.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "武安委〔2020〕1号" in html and "区委宣传部" in html and "每3年1次" in html
    assert "0/4" in html and "未交办（部门组无成员）" in html
    assert inline_scripts(html) == [] and "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert row_counts(session)["cases"] == 72
    # the stored upload is gone once imported
    assert client.post("/plans/confirm", data={"csrf_token": token, "sha256": sha,
                                               "year": "2020"}).status_code == 400


def test_preview_of_a_bad_file_shows_the_error(client, world, session):
    token = browser_login(client, world.users["office_staff"])
    before = row_counts(session)
    resp = client.post("/plans/preview", data={
        "csrf_token": token, "year": "2020", "file": (io.BytesIO(_no_departments()), "坏.xlsx")},
        content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "第8行：具体内容“签订安全生产目标管理责任书" in resp.get_data(as_text=True)
    assert row_counts(session) == before


def test_department_users_read_plans_but_cannot_import(client, world, session, imported):
    token = browser_login(client, world.users["dept_officer"])
    page = client.get("/plans/").get_data(as_text=True)
    assert "2020年全区安全生产重点工作目标任务清单" in page and "导入清单" not in page
    assert client.get(f"/plans/{imported['plan_id']}").status_code == 200
    resp = client.post("/plans/preview", data={
        "csrf_token": token, "year": "2021", "file": (io.BytesIO(sample_bytes()), "a.txt")},
        content_type="multipart/form-data")
    assert resp.status_code == 403


def test_director_previews_but_only_staff_confirm(client, world, session):
    token = browser_login(client, world.users["office_director"])
    resp = client.post("/plans/preview", data={
        "csrf_token": token, "year": "2020", "file": (io.BytesIO(sample_bytes()), "a.txt")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "确认导入须由区安委办经办人办理" in html
    assert 'id="confirm-import"' not in html and 'id="preview-again"' in html


def test_demo_loads_the_2020_list_once(runner, session):
    # the real 2020 list is loaded as this year's plan, and says so (据2020年清单)
    year = local_today().year
    out = runner.invoke(args=["demo"])
    assert out.exit_code == 0, out.output
    assert (f"{year} 年目标任务清单（据2020年清单）已导入：5 个目标项目、18 个目标任务、50 项具体内容"
            in out.output)
    first = row_counts(session)
    assert first["plans"] == 1 and first["plan_items"] == 50
    out = runner.invoke(args=["demo"])
    assert f"{year} 年目标任务清单（据2020年清单）已存在" in out.output
    assert "本次新交办任务 0 件" in out.output
    assert row_counts(session) == first
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
