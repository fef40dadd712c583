"""Pages through the test client: forms, refusals, evidence serving, lists, administration."""
from __future__ import annotations

import hashlib
import io
import re
from datetime import timedelta

import pytest
from PIL import Image

from tests.factories import PASSWORD, png_bytes
from tests.factories_pages import csrf_from
from workflow.core.cases import Case
from workflow.core.evidence import Evidence
from workflow.platform.base import local_today


def read(session, fn):
    """Read in the test's own session, then end its transaction: on SQLite it holds the write
    lock. Commit, not rollback: a rollback expires the world's objects and the next attribute
    access would open a new transaction."""
    try:
        return fn()
    finally:
        session.commit()


def _form(world, **over):
    return {"title": "配电室堆放杂物", "description": "配电室内堆放纸箱等可燃物",
            "source": "routine", "grade": "general", "department_id": str(world.dept.id),
            "deadline": (local_today() + timedelta(days=10)).isoformat(), **over}


def test_login_bad_credentials_and_logout(client, world):
    token = csrf_from(client.get("/login").text)
    resp = client.post("/login", data={"username": world.users["dept_head"].username,
                                       "password": "wrong-password", "csrf_token": token})
    assert resp.status_code == 401 and "用户名或密码错误" in resp.text
    assert client.get("/cases").status_code == 302  # still signed out
    resp = client.post("/login", data={"username": world.users["dept_head"].username,
                                       "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    assert client.post("/logout", data={}).status_code == 400  # no CSRF token
    # the login starts a fresh session: the token of the signed-out page is void
    assert client.post("/logout", data={"csrf_token": token}).status_code == 400
    token = csrf_from(client.get("/account/password").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")


def test_register_form_keeps_input_and_names_the_field(pages, world, session):
    office = pages("office_staff")
    office.get("/cases/new")
    resp = office.post("/cases/new", _form(world, title="", responsible_unit="某商场",
                                           then="save"))
    assert resp.status_code == 400
    assert re.search(r'id="err-case-title">标题为必填项<', resp.text)
    assert 'value="某商场"' in resp.text and "配电室内堆放纸箱等可燃物" in resp.text
    resp = office.post("/cases/new", _form(world, deadline="2024-13-40", then="save"))
    assert resp.status_code == 400 and 'id="err-case-deadline"' in resp.text
    assert "不是有效日期" in resp.text
    resp = office.post("/cases/new", _form(world, deadline="", deadline_working_days="abc",
                                           then="save"))
    assert resp.status_code == 400 and 'id="err-case-deadline_working_days"' in resp.text
    resp = office.post("/cases/new", _form(world, credit_code="123", then="save"))
    assert resp.status_code == 400 and 'id="err-case-credit_code"' in resp.text
    assert read(session, lambda: session.query(Case).count()) == 0  # nothing half-written

    resp = office.post("/cases/new", _form(world, deadline="", deadline_working_days="5",
                                           co_department_ids=[str(world.other_dept.id)],
                                           suspended="1", then="register"))
    assert resp.status_code == 302
    case = session.query(Case).one()
    assert case.status == "assigned" and case.number and case.suspended
    assert case.deadline > local_today() and case.deadline_working_days == 5
    assert [d.id for d in case.co_departments] == [world.other_dept.id]
    session.commit()  # end the read (a rollback would expire the world objects)


def test_draft_edit_then_register_reports_missing_fields(pages, world, session):
    case = world.problem(by="inspector")
    inspector = pages("inspector")
    resp = inspector.get(f"/cases/{case.id}/edit")
    assert resp.status_code == 200 and "保存并挂号交办" not in resp.text
    resp = inspector.post(f"/cases/{case.id}/edit", {**_form(world), "title": "已补充标题"})
    assert resp.status_code == 302
    session.refresh(case)
    assert case.title == "已补充标题" and case.status == "draft"
    session.commit()  # end the read (a rollback would expire the world objects)
    assert pages("other_officer").get(f"/cases/{case.id}/edit").status_code == 404
    assert pages("auditor").get(f"/cases/{case.id}/edit").status_code == 403


def test_action_refusals_keep_the_form_and_status(pages, world, session):
    case = world.case_at("reported")
    office = pages("office_staff")
    office.get(f"/cases/{case.id}")
    resp = office.post(f"/cases/{case.id}/actions/return", {"version": case.version,
                                                             "comment": "  "})
    assert resp.status_code == 422 and "须填写意见" in resp.text
    resp = office.post(f"/cases/{case.id}/actions/verify", {"version": case.version - 1})
    assert resp.status_code == 409 and "已被他人更新" in resp.text
    head = pages("dept_head")
    head.get(f"/cases/{case.id}")
    resp = head.post(f"/cases/{case.id}/actions/verify", {"version": case.version})
    assert resp.status_code == 403 and "区安委办经办人" in resp.text
    resp = head.post(f"/cases/{case.id}/actions/verify", {"version": case.version}, token=False)
    assert resp.status_code == 400
    session.refresh(case)
    assert case.status == "reported" and case.audit_seq == 5


def test_transfer_and_cancel_forms(pages, world, session):
    case = world.case_at("assigned")
    office = pages("office_staff")
    page = office.get(f"/cases/{case.id}")
    assert 'class="action" id="form-transfer"' in page.text
    assert 'class="action disabled" id="form-cancel"' in page.text  # the director's step
    resp = office.post(f"/cases/{case.id}/actions/transfer", {"version": case.version,
                                                               "department_id": world.dept.id,
                                                               "comment": "错"})
    assert resp.status_code == 422 and "不能转办给原责任部门" in resp.text
    resp = office.post(f"/cases/{case.id}/actions/transfer", {
        "version": case.version, "department_id": world.other_dept.id, "comment": "属住建职责"})
    assert resp.status_code == 302
    session.refresh(case)
    assert case.department_id == world.other_dept.id
    session.commit()  # end the read (a rollback would expire the world objects)
    director = pages("office_director")
    director.get(f"/cases/{case.id}")
    resp = director.post(f"/cases/{case.id}/actions/cancel", {
        "version": case.version, "cancel_reason": "duplicate", "comment": "与 3 号重复"})
    assert resp.status_code == 302
    session.refresh(case)
    assert case.status == "cancelled"


def test_major_hazard_plan_and_onsite_forms(pages, world, session):
    case = world.case_at("in_progress", grade="major")
    officer = pages("dept_officer")
    page = officer.get(f"/cases/{case.id}")
    assert 'id="form-plan"' in page.text
    plan = {"objectives": "消除隐患", "organisation": "赵局长", "measures": "更换",
            "funds_materials": "5万元", "time_requirements": "30日", "safety_contingency": "预案"}
    resp = officer.post(f"/cases/{case.id}/plan", plan)
    assert resp.status_code == 302
    world.evidence(case)
    # six elements without the signed copy: the report is refused with plan_required
    head = pages("dept_head")
    page = head.get(f"/cases/{case.id}")
    assert "主要负责人签批件" in page.text
    resp = officer.post(f"/cases/{case.id}/plan", {
        **plan, "signed_copy": (io.BytesIO(png_bytes((4, 4, 4))), "签批件.png")},
        content_type="multipart/form-data")
    assert resp.status_code == 302
    world.evidence(case, data=png_bytes((6, 6, 6)), category="acceptance_report")
    world.step(case, "report", "dept_head", statement="已整改")
    office = pages("office_staff")
    page = office.get(f"/cases/{case.id}")
    assert "现场核查记录须有" not in page.text and 'id="form-onsite"' in page.text
    assert "重大事故隐患核查须有本轮现场核查记录" in page.text  # verify shown refused, with the rule
    resp = office.post(f"/cases/{case.id}/onsite", {"visited_on": "2020-02-30",
                                                    "verifiers": "孙检查员、钱经办",
                                                    "findings": "到位"})
    assert resp.status_code == 400 and 'id="err-onsite-visited_on"' in resp.text
    assert 'value="孙检查员、钱经办"' in resp.text
    resp = office.post(f"/cases/{case.id}/onsite", {"visited_on": local_today().isoformat(),
                                                    "verifiers": "孙检查员、钱经办",
                                                    "findings": "到位"})
    assert resp.status_code == 422 and "须写明职务" in resp.text
    resp = office.post(f"/cases/{case.id}/onsite", {"visited_on": local_today().isoformat(),
                                                    "verifiers": "孙检查员（执法队员）、钱经办（经办人）",
                                                    "findings": "到位"})
    assert resp.status_code == 302
    page = office.get(f"/cases/{case.id}")
    assert 'id="form-verify"' in page.text and "孙检查员（执法队员）、钱经办（经办人）" in page.text


def test_evidence_upload_many_files_and_refusals(pages, world, session, app):
    case = world.case_at("in_progress")
    officer = pages("dept_officer")
    officer.get(f"/cases/{case.id}")
    files = [(io.BytesIO(png_bytes((1, 2, 3))), "前.png"), (io.BytesIO(png_bytes((9, 9, 9))), "后.png")]
    resp = officer.post(f"/cases/{case.id}/evidence", {"files": files, "category": "after",
                                                       "note": "对比"},
                        content_type="multipart/form-data")
    assert resp.status_code == 302
    assert read(session, lambda: session.query(Evidence).filter_by(case_id=case.id).count()) == 2

    # one bad file among good ones: nothing is stored, the message names the file
    files = [(io.BytesIO(png_bytes((5, 5, 5))), "好.png"), (io.BytesIO(b"MZ\x90\x00 exe"), "坏.png")]
    resp = officer.post(f"/cases/{case.id}/evidence", {"files": files, "note": "第二批"},
                        content_type="multipart/form-data")
    assert resp.status_code == 400
    assert re.search(r'data-error-for="files"[^>]*>文件“坏.png”的类型不允许上传', resp.text)
    assert 'value="第二批"' in resp.text
    assert read(session, lambda: session.query(Evidence).filter_by(case_id=case.id).count()) == 2

    app.config["MAX_UPLOAD_BYTES"] = 1000
    big = png_bytes(size=(400, 400)) + b"\0" * 2000
    resp = officer.post(f"/cases/{case.id}/evidence", {"files": [(io.BytesIO(big), "大.png")]},
                        content_type="multipart/form-data")
    assert resp.status_code == 400 and "超过上限" in resp.text
    resp = officer.post(f"/cases/{case.id}/evidence", {"files": [(io.BytesIO(big), "大.png")]},
                        content_type="multipart/form-data",
                        headers={"X-Requested-With": "XMLHttpRequest"})
    assert resp.status_code == 400 and resp.json["field"] == "files"
    resp = officer.post(f"/cases/{case.id}/evidence", {"files": []},
                        content_type="multipart/form-data")
    assert resp.status_code == 400 and "请选择要上传的文件" in resp.text


def fetch(page_client, path):
    """GET a file and close the response (the file handle of ``send_file``)."""
    resp = page_client.client.get(path)
    try:
        return resp.status_code, dict(resp.headers), resp.get_data()
    finally:
        resp.close()


def test_evidence_file_is_served_only_to_readers_with_safe_headers(pages, world):
    case = world.case_at("in_progress")
    photo = png_bytes((10, 200, 10), (800, 600))
    ev = world.evidence(case, data=photo, name='现场"照片".png')
    pdf = world.evidence(case, data=b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF",
                         name="报告.pdf")
    auditor = pages("auditor")
    status, headers, data = fetch(auditor, f"/cases/{case.id}/evidence/{ev.id}")
    assert status == 200 and data == photo
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith("inline") and "filename*=UTF-8''" in disposition
    assert hashlib.sha256(data).hexdigest() == ev.sha256
    status, headers, data = fetch(auditor, f"/cases/{case.id}/evidence/{ev.id}/thumb")
    assert headers["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(data)).size) == 320
    status, headers, data = fetch(auditor, f"/cases/{case.id}/evidence/{pdf.id}")
    assert headers["Content-Type"] == "application/pdf" and data.startswith(b"%PDF")
    assert fetch(auditor, f"/cases/{case.id}/evidence/{pdf.id}/thumb")[0] == 404
    other = world.case_at("assigned", department=world.other_dept)
    assert fetch(auditor, f"/cases/{other.id}/evidence/{ev.id}")[0] == 404
    outsider = pages("other_officer")
    assert fetch(outsider, f"/cases/{case.id}/evidence/{ev.id}")[0] == 404
    assert fetch(outsider, f"/cases/{case.id}/evidence/{ev.id}/thumb")[0] == 404


def test_home_counts_per_role(pages, world, runner):
    world.case_at("assigned")
    returned = world.case_at("reported")
    world.step(returned, "return", "office_staff", comment="补充照片")
    world.case_at("reported")
    late = world.case_at("in_progress")
    world.session.query(Case).filter_by(id=late.id).update({"deadline": local_today()
                                                            - timedelta(days=40)})
    world.session.commit()

    def counts(who):
        html = pages(who).get("/").text
        return dict(re.findall(r'data-queue="(\w+)"[^>]*>\s*<span class="count">(\d+)<', html))

    assert counts("dept_officer") == {"to_accept": "1", "in_progress": "2", "returned": "1",
                                      "due_soon": "0", "my_overdue": "1", "my_escalated": "0",
                                      "my_drafts": "0"}
    assert counts("other_officer")["in_progress"] == "0"
    assert counts("office_staff")["review"] == "1" and counts("office_staff")["overdue"] == "1"
    world.session.rollback()  # release SQLite's write lock for the CLI
    assert runner.invoke(args=["sweep"]).exit_code == 0  # escalates the 40-day case to 约谈
    director = pages("office_director").get("/").text
    assert "区应急管理局：" in director  # 约谈 candidate: escalated by the sweep
    assert "检索全部事项" in pages("auditor").get("/").text


def test_case_list_filters_sorts_and_pages_through_everything(pages, world, session):
    ids = _many(world, session)
    office = pages("office_staff")
    for sort in ("-registered", "registered", "deadline", "-deadline", "number", "-number",
                 "title", "status"):
        seen, url = [], f"/cases?sort={sort}"
        while url:
            html = office.get(url).text
            seen += [int(i) for i in re.findall(r'href="/cases/(\d+)"', html)]
            nxt = re.search(r'rel="next" href="([^"]+)"', html)
            url = nxt.group(1).replace("&amp;", "&") if nxt else None
        assert sorted(seen) == sorted(ids), sort  # every case exactly once
    html = office.get("/cases?status=draft").text
    assert re.search(r'id="total">(\d+)<', html).group(1) == "7"
    html = office.get("/cases?overdue=true").text
    assert re.search(r'id="total">(\d+)<', html).group(1) == "3"
    assert 'class="overdue"' in html
    assert office.get("/cases?status=nope").status_code == 400
    assert office.get("/cases?after=garbage").status_code == 400
    assert office.get("/cases?sort=password").status_code == 400
    html = pages("other_officer").get("/cases").text
    assert re.search(r'id="total">(\d+)<', html).group(1) == "0"


def _many(world, session):
    """60 cases: drafts without numbers or deadlines, equal deadlines, three overdue."""
    ids = []
    for i in range(60):
        case = world.problem(by="office_staff", title=f"隐患{i:02d}",
                             deadline=local_today() + timedelta(days=i % 4))
        ids.append(case.id)
        if i % 9 == 0:
            case.deadline = None
            continue
        world.step(case, "register", "office_staff")
        if i in (1, 2, 3):
            case.deadline = local_today() - timedelta(days=i)
    session.commit()
    return ids


@pytest.mark.parametrize("path", ["/admin/users", "/admin/departments"])
def test_admin_pages_are_for_the_administrator_only(pages, path):
    assert pages("office_director").get(path).status_code == 403
    assert pages("admin").get(path).status_code == 200


def test_admin_users_and_departments(pages, world, session, app):
    admin = pages("admin")
    admin.get("/admin/users")
    resp = admin.post("/admin/users", {"username": world.users["dept_head"].username,
                                       "display_name": "重名", "role": "dept_officer",
                                       "department_id": world.dept.id, "password": "long-enough-pass"})
    assert resp.status_code == 400 and 'id="err-add-username"' in resp.text
    assert 'value="重名"' in resp.text
    resp = admin.post("/admin/users", {"username": "liu", "display_name": "刘联络员",
                                       "role": "dept_officer", "password": "long-enough-pass"})
    assert resp.status_code == 400 and 'id="err-add-department_id"' in resp.text
    resp = admin.post("/admin/users", {"username": "liu", "display_name": "刘联络员",
                                       "role": "dept_officer", "department_id": world.dept.id,
                                       "password": "long-enough-pass"})
    assert resp.status_code == 302
    from workflow.org.models import Department, DepartmentGroup, User

    liu = read(session, lambda: session.query(User).filter_by(username="liu").one())
    resp = admin.post(f"/admin/users/{liu.id}/password", {"password": "short"})
    assert resp.status_code == 400 and "至少 12 个字符" in resp.text
    assert admin.post(f"/admin/users/{liu.id}/password", {"password": "another-pass"}).status_code == 302
    assert admin.post(f"/admin/users/{liu.id}/active", {"active": "0"}).status_code == 302
    client = app.test_client()
    token = csrf_from(client.get("/login").text)
    resp = client.post("/login", data={"username": "liu", "password": "another-pass",
                                       "csrf_token": token})
    assert resp.status_code == 401  # deactivated

    resp = admin.post("/admin/departments", {"name": "  ", "kind": "town"})
    assert resp.status_code == 400 and 'id="err-add-name"' in resp.text
    group = DepartmentGroup(key="towns", name="各镇、开发区、街道")
    session.add(group)
    session.commit()
    group_id = group.id
    resp = admin.post("/admin/departments", {"name": "湖塘镇", "kind": "town",
                                             "groups": [str(group_id)]})
    assert resp.status_code == 302
    town = read(session, lambda: session.query(Department).filter_by(name="湖塘镇").one())
    resp = admin.post(f"/admin/departments/{town.id}/name", {"name": world.dept.name})
    assert resp.status_code == 400 and "已存在" in resp.text
    assert admin.post(f"/admin/departments/{town.id}/name", {"name": "湖塘镇人民政府"}).status_code == 302
    resp = admin.post(f"/admin/groups/{group_id}", {"members": [str(world.dept.id), str(town.id)]})
    assert resp.status_code == 302
    session.expire_all()
    assert read(session, lambda: sorted(d.name for d in session.get(
        DepartmentGroup, group_id).members)) == ["区应急管理局", "湖塘镇人民政府"]
    assert admin.post(f"/admin/groups/{group_id}", {"members": ["99999"]}).status_code == 400


def test_case_page_and_list_link_the_records(client, world):
    from tests.factories import PASSWORD
    from tests.test_auth import login

    case = world.case_at("assigned")
    login(client, world.users["auditor"].username, PASSWORD)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    report = f"/api/v1/cases/{case.id}/report.pdf"
    notice = f"/api/v1/cases/{case.id}/notice.pdf"
    assert report in html and notice in html
    for url in (report, notice):
        resp = client.get(url)
        assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    listing = client.get(f"/cases?department_id={world.dept.id}&status=assigned").get_data(as_text=True)
    assert "/cases/ledger.xlsx?" in listing and f"department_id={world.dept.id}" in listing
    import re

    xlsx = re.search(r'href="(/cases/ledger\.xlsx\?[^"]+)"', listing).group(1).replace("&amp;", "&")
    resp = client.get(xlsx)
    assert resp.status_code == 200 and resp.data[:2] == b"PK"
    pdf = re.search(r'href="(/api/v1/ledger\.pdf\?[^"]+)"', listing).group(1).replace("&amp;", "&")
    resp = client.get(pdf)
    assert resp.status_code == 200 and resp.data[:4] == b"%PDF"
