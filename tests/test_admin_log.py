"""The administration log: every administration act is a hash-chained event, read back
through the API and the CLI; tampering with any row breaks verification."""
from __future__ import annotations

from sqlalchemy import select, text

from tests.factories import PASSWORD
from workflow.org.adminlog import AdminEvent, verify_admin_log
from workflow.org.models import Department, DepartmentGroup, User


def _events(client, world, who="auditor", query=""):
    resp = client.get(f"/api/v1/admin-events{query}", headers=world.headers(who))
    assert resp.status_code == 200, resp.json
    return resp.json


def _administer(pages, world, session, client):
    """Every kind of act the administrator and the director take, through pages and API."""
    admin = pages("admin")
    admin.get("/admin/users")
    assert admin.post("/admin/users", {"username": "liu", "display_name": "刘联络员",
                                       "role": "dept_officer", "department_id": world.dept.id,
                                       "password": "long-enough-pw"}).status_code == 302
    liu = session.scalar(select(User).where(User.username == "liu"))
    session.commit()
    assert admin.post(f"/admin/users/{liu.id}/password",
                      {"password": "another-long-pw"}).status_code == 302
    assert admin.post(f"/admin/users/{liu.id}/name", {"display_name": "刘二"}).status_code == 302
    assert admin.post(f"/admin/users/{liu.id}/role", {"role": "dept_head",
                                                      "department_id": world.dept.id}).status_code == 302
    assert admin.post(f"/admin/users/{liu.id}/active", {"active": "0"}).status_code == 302
    assert admin.post(f"/admin/users/{liu.id}/active", {"active": "1"}).status_code == 302
    group = DepartmentGroup(key="towns", name="各镇、开发区、街道")
    session.add(group)
    session.commit()
    group_id = group.id
    assert admin.post("/admin/departments", {"name": "湖塘镇", "kind": "town"}).status_code == 302
    town = session.scalar(select(Department).where(Department.name == "湖塘镇"))
    session.commit()
    assert admin.post(f"/admin/departments/{town.id}/name",
                      {"name": "湖塘镇人民政府"}).status_code == 302
    assert admin.post(f"/admin/groups/{group_id}", {"members": [str(town.id)]}).status_code == 302
    assert client.post("/api/v1/calendar/days", headers=world.headers("office_director"),
                       json={"day": "2040-10-01", "kind": "holiday", "name": "国庆节"}).status_code == 201
    assert client.delete("/api/v1/calendar/days/2040-10-01",
                         headers=world.headers("admin")).status_code == 200
    return liu, town, group_id


def test_every_administration_act_is_read_back_in_order(pages, world, session, client, runner):
    liu, town, group_id = _administer(pages, world, session, client)
    items = _events(client, world)["items"]
    assert [e["action"] for e in reversed(items)] == [
        "user_create", "password_reset", "user_update", "user_role_change", "user_deactivate",
        "user_reactivate", "department_create", "department_rename", "group_members_set",
        "calendar_day_set", "calendar_day_delete"]
    first = items[-1]
    admin = world.users["admin"]
    assert (first["seq"], first["actor_id"], first["actor_username"], first["actor_name"]) == (
        1, admin.id, admin.username, "管理员")
    assert first["object_type"] == "user" and first["object_id"] == str(liu.id)
    assert first["payload"]["user"] == {"id": liu.id, "username": "liu", "display_name": "刘联络员"}
    by_action = {e["action"]: e for e in items}
    assert by_action["user_update"]["payload"]["display_name"] == {"before": "刘联络员", "after": "刘二"}
    assert by_action["user_role_change"]["payload"]["before"]["role"] == "dept_officer"
    assert by_action["department_rename"]["payload"] == {"before": "湖塘镇", "after": "湖塘镇人民政府"}
    assert by_action["group_members_set"]["payload"]["after"] == [town.id]
    day_set = by_action["calendar_day_set"]
    assert day_set["actor_role"] == "office_director" and day_set["object_id"] == "2040-10-01"
    assert day_set["payload"]["after"] == {"kind": "holiday", "name": "国庆节"}
    assert "password" not in str(by_action["password_reset"]["payload"])  # never the secret
    # the chain links each event to the one before
    for newer, older in zip(items, items[1:]):
        assert newer["prev_hash"] == older["hash"]
    assert verify_admin_log(session) is None
    session.commit()
    result = runner.invoke(args=["admin-log", "verify"])
    assert result.exit_code == 0 and "11 条事件" in result.output
    # paging back
    page = _events(client, world, "admin", "?limit=4")
    assert len(page["items"]) == 4 and page["next_before"] == page["items"][-1]["seq"]
    older = _events(client, world, "admin", f"?limit=4&before={page['next_before']}")
    assert older["items"][0]["seq"] == page["next_before"] - 1
    only = _events(client, world, "admin", "?action=password_reset")["items"]
    assert [e["action"] for e in only] == ["password_reset"]


def test_tampering_with_any_row_breaks_verification(pages, world, session, client, runner, app):
    _administer(pages, world, session, client)
    engine = app.extensions["safeloop.engine"]
    with engine.begin() as conn:  # hide the password reset behind another action
        conn.execute(text("UPDATE admin_events SET action = 'user_update' WHERE seq = 2"))
    broken = verify_admin_log(session)
    session.commit()
    assert broken is not None and broken.seq == 2 and "改动" in broken.reason
    result = runner.invoke(args=["admin-log", "verify"])
    assert result.exit_code == 1 and "#2" in result.output

    with engine.begin() as conn:  # restore it, then delete a row from the middle
        conn.execute(text("UPDATE admin_events SET action = 'password_reset' WHERE seq = 2"))
    assert verify_admin_log(session) is None
    session.commit()
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM admin_events WHERE seq = 5"))
    broken = verify_admin_log(session)
    session.commit()
    assert broken.seq == 5 and "缺失" in broken.reason
    assert runner.invoke(args=["admin-log", "verify"]).exit_code == 1

    with engine.begin() as conn:  # rewrite a payload and its own hash: the next link breaks
        row = conn.execute(text("SELECT seq FROM admin_events WHERE seq = 3")).one()
        conn.execute(text("DELETE FROM admin_events WHERE seq > 4"))
    ev = session.scalar(select(AdminEvent).where(AdminEvent.seq == 3))
    ev.payload_json = '{"user":{"id":1,"username":"someone-else"}}'
    ev.hash = ev.compute_hash()
    session.commit()
    broken = verify_admin_log(session)
    session.commit()
    assert row.seq == 3 and broken.seq == 4 and "前序哈希" in broken.reason


def test_admin_log_is_for_the_administrator_and_the_auditor(client, world):
    for who in ("office_staff", "office_director", "leader", "inspector", "dept_head"):
        resp = client.get("/api/v1/admin-events", headers=world.headers(who))
        assert resp.status_code == 403 and sorted(resp.json["needed_roles"]) == ["admin", "auditor"]
    for who in ("admin", "auditor"):
        assert client.get("/api/v1/admin-events", headers=world.headers(who)).status_code == 200
    for query in ("?limit=0", "?limit=x", "?before=-1", "?action=drop", "?other=1"):
        assert client.get(f"/api/v1/admin-events{query}",
                          headers=world.headers("admin")).status_code == 400, query
    assert client.get("/api/v1/admin-events").status_code == 401


def test_cli_bootstrap_user_is_logged_without_approval(runner, client, world):
    result = runner.invoke(args=["users", "add", "boss", "--role", "office_director",
                                 "--name", "钱主任", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    # the bootstrap path grants at once: whoever holds the server is the first approver
    resp = client.post("/api/v1/tokens", json={"username": "boss", "password": PASSWORD})
    assert resp.status_code == 201 and resp.json["user"]["role"] == "office_director"
    result = runner.invoke(args=["departments", "add", "区交通局", "--group", "committee_members"])
    assert result.exit_code == 0
    items = _events(client, world)["items"]
    # the unit's creation, then its joining the group, each an act of its own
    assert [e["action"] for e in reversed(items)] == ["user_create_cli", "department_create",
                                                      "group_members_set"]
    assert items[0]["payload"]["groups_added"] == ["committee_members"]
    cli = items[-1]
    assert cli["actor_id"] is None and cli["actor_username"] == "cli" and cli["actor_role"] == "cli"
    assert cli["payload"]["user"]["username"] == "boss" and cli["payload"]["role"] == "office_director"


def test_openapi_documents_the_admin_log(client):
    doc = client.get("/api/v1/openapi.json").json
    op = doc["paths"]["/admin-events"]["get"]
    assert set(op["responses"]) == {"200", "400", "401", "403", "405"}
    assert {p["name"] for p in op["parameters"]} == {"limit", "before", "action"}


def test_every_logged_action_has_a_chinese_label():
    """Each ``record_act`` call in the code names an action the listing can label."""
    import ast
    from pathlib import Path

    from workflow.org.adminlog import ACTION_LABELS

    root = Path(__file__).resolve().parent.parent
    found = set()
    for path in [*root.joinpath("workflow").rglob("*.py"), *root.joinpath("blueprints").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "record_act"
                    and len(node.args) >= 3):
                arg = node.args[2]
                if isinstance(arg, ast.Constant):
                    found.add(arg.value)
                elif isinstance(arg, ast.IfExp):
                    found |= {arg.body.value, arg.orelse.value}
                else:
                    raise AssertionError(f"{path}: action not a constant")
    assert {"user_create", "user_create_cli", "password_reset", "calendar_day_set",
            "role_grant_requested", "role_grant_approved", "role_grant_refused"} <= found
    assert sorted(found - set(ACTION_LABELS)) == []
