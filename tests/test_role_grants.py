"""三员分立: the administrator asks for a business role, a second person grants it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.test_auth import login
from workflow.org import admin as directory_admin
from workflow.org import grants
from workflow.org.adminlog import AdminEvent
from workflow.org.grants import RoleGrant
from workflow.org.models import User
from workflow.platform.errors import Conflict, DomainError, Forbidden, RuleFailed


def _grant_of(session, username) -> RoleGrant:
    grant = session.scalar(select(RoleGrant).join(RoleGrant.user).where(User.username == username)
                           .order_by(RoleGrant.id.desc()))
    session.commit()
    return grant


def _actions(session) -> list[str]:
    out = list(session.scalars(select(AdminEvent.action).order_by(AdminEvent.seq)))
    session.commit()
    return out


def test_a_new_director_account_waits_for_the_directors_approval(pages, world, session, app):
    admin = pages("admin")
    admin.get("/admin/users")
    resp = admin.post("/admin/users", {"username": "qian", "display_name": "钱主任",
                                       "role": "office_director", "department_id": world.office.id,
                                       "password": "long-enough-pw"})
    assert resp.status_code == 302
    assert "须经区安委办主任批准" in admin.get("/admin/users").text
    user = session.scalar(select(User).where(User.username == "qian"))
    assert (user.role, user.active) == ("pending", False)  # no power before the approval
    session.commit()
    assert login(app.test_client(), "qian", "long-enough-pw").status_code == 401
    # the administrator cannot reactivate it past the approval
    resp = admin.post(f"/admin/users/{user.id}/active", {"active": "1"})
    assert resp.status_code == 422 and "尚待批准" in resp.text
    grant = _grant_of(session, "qian")
    assert (grant.status, grant.to_role, grant.from_role) == ("pending", "office_director", "pending")
    # nor approve it: business roles are approved by the director
    admin.get("/role-grants")
    resp = admin.post(f"/role-grants/{grant.id}/decision", {"decision": "approve"})
    assert resp.status_code == 403 and "区安委办主任" in resp.text
    director = pages("office_director")
    page = director.get("/role-grants")
    assert page.status_code == 200 and f'id="grant-{grant.id}"' in page.text and "钱主任" in page.text
    assert director.post(f"/role-grants/{grant.id}/decision",
                         {"decision": "approve", "comment": "经党组会研究同意"}).status_code == 302
    user = session.get(User, user.id, populate_existing=True)
    assert (user.role, user.active, user.department_id) == ("office_director", True, world.office.id)
    session.commit()
    assert login(app.test_client(), "qian", "long-enough-pw").status_code == 302
    assert _actions(session) == ["user_create", "role_grant_requested", "role_grant_approved"]
    page = director.get("/role-grants").text
    assert 'data-status="approved"' in page and "经党组会研究同意" in page
    # a decided grant cannot be decided again
    director.get("/role-grants")
    assert director.post(f"/role-grants/{grant.id}/decision",
                         {"decision": "refuse", "comment": "x"}).status_code == 409


def test_raising_an_existing_account_and_refusing_it(pages, world, session):
    officer = world.users["dept_officer"]
    admin = pages("admin")
    admin.get("/admin/users")
    resp = admin.post(f"/admin/users/{officer.id}/role", {"role": "auditor"})
    assert resp.status_code == 302
    assert session.get(User, officer.id, populate_existing=True).role == "dept_officer"  # unchanged until approved
    session.commit()
    assert "待批准：审计" in admin.get("/admin/users").text
    # a second request while one is pending is a conflict
    resp = admin.post(f"/admin/users/{officer.id}/role", {"role": "leader"})
    assert resp.status_code == 409
    grant = _grant_of(session, officer.username)
    director = pages("office_director")
    director.get("/role-grants")
    resp = director.post(f"/role-grants/{grant.id}/decision", {"decision": "refuse"})
    assert resp.status_code == 422 and "须填写意见" in resp.text
    assert director.post(f"/role-grants/{grant.id}/decision",
                         {"decision": "refuse", "comment": "不属于审计部门人员"}).status_code == 302
    assert session.get(User, officer.id, populate_existing=True).role == "dept_officer"
    session.commit()
    page = director.get("/role-grants").text
    assert 'data-status="refused"' in page and "不属于审计部门人员" in page
    assert _actions(session) == ["role_grant_requested", "role_grant_refused"]
    # department roles are the administrator's alone: set at once, on the record
    resp = admin.post(f"/admin/users/{officer.id}/role", {"role": "dept_head",
                                                          "department_id": world.dept.id})
    assert resp.status_code == 302
    assert session.get(User, officer.id, populate_existing=True).role == "dept_head"
    session.commit()
    assert _actions(session)[-1] == "user_role_change"


def test_nobody_approves_their_own_request_or_their_own_grant(world, session):
    admin, director = world.users["admin"], world.users["office_director"]
    # the director asked for a leader role for himself (through the administrator)
    grant = directory_admin.change_role(session, admin, director.id, "leader", None)
    session.commit()
    with pytest.raises(RuleFailed) as refused:
        grants.decide(session, director, grant.id, True)
    assert refused.value.rules == ["own_grant"]
    session.rollback()
    # an administrator role is approved by another administrator, never the one who asked
    admin2 = world.user("admin", None, "第二管理员", username="admin-two")
    session.commit()
    grant = directory_admin.change_role(session, admin, world.users["inspector"].id, "admin", None)
    session.commit()
    with pytest.raises(RuleFailed) as refused:
        grants.decide(session, admin, grant.id, True)
    assert refused.value.rules == ["own_request"]
    session.rollback()
    with pytest.raises(Forbidden) as forbidden:
        grants.decide(session, director, grant.id, True)
    assert forbidden.value.needed_roles == ["admin"]
    session.rollback()
    grants.decide(session, admin2, grant.id, True)
    session.commit()
    assert world.users["inspector"].role == "admin"
    # a second account of the asker (same person, same name) does not count as a second person
    alias = world.user("admin", None, "管 理 员", username="admin-alias")
    session.commit()
    grant = directory_admin.change_role(session, admin, world.users["leader"].id, "admin", None)
    session.commit()
    with pytest.raises(RuleFailed) as refused:
        grants.decide(session, alias, grant.id, True)
    assert refused.value.rules == ["own_request"]
    session.rollback()


def test_concurrent_approvals_one_wins(world, session, app):
    admin = world.users["admin"]
    grant = directory_admin.change_role(session, admin, world.users["dept_head"].id, "inspector", None)
    session.commit()
    second = world.user("office_director", world.office, "孙主任", username="director-two")
    session.commit()
    other = app.extensions["safeloop.sessionmaker"]()
    try:
        grants.decide(other, other.get(User, second.id), grant.id, True)
        other.commit()
    finally:
        other.close()
    with pytest.raises(DomainError) as lost:
        grants.decide(session, world.users["office_director"], grant.id, False, "不同意")
    assert isinstance(lost.value, Conflict)
    session.rollback()


@pytest.mark.parametrize("who", ["office_staff", "dept_head", "auditor", "leader"])
def test_role_grant_pages_are_for_admin_and_director(pages, who):
    assert pages(who).get("/role-grants").status_code == 403
