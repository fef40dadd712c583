"""Names: invisible and direction-changing characters refused, look-alikes refused,
display names unique among active accounts, a second account of one person caught by
same_person, and user names with ids printed beside display names."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.factories_records import pdf_text, squash
from workflow.org import admin as directory_admin
from workflow.org.models import Department, User
from workflow.org.names import same_person, skeleton
from workflow.platform.errors import InvalidInput
from workflow.records.closure import render_closure_report

PW = "long-enough-pw"


def _add(session, world, username, display="新用户", role="dept_officer"):
    return directory_admin.add_user(session, world.users["admin"], username=username,
                                    display_name=display, role=role,
                                    department_id=world.dept.id, password=PW)


@pytest.mark.parametrize("username", [
    "off\u200bice",     # zero-width space
    "adm\u202ein",      # right-to-left override
    "zhang\u2066san",   # left-to-right isolate
    "zhang\u3000san",   # ideographic space
    "zhang\u00a0san",   # no-break space
    "zhang\u0007",      # a control
    "zhang san",        # an ASCII space inside a user name
    "\ufeffzhang",      # byte order mark
])
def test_invisible_characters_are_refused_in_user_names(world, session, username):
    with pytest.raises(InvalidInput) as refused:
        _add(session, world, username)
    assert refused.value.field == "username"
    session.rollback()


@pytest.mark.parametrize("display", ["王\u200b经办", "\u202e办经王", "王\u3000五", "王\u2028五"])
def test_invisible_characters_are_refused_in_display_names(world, session, display):
    with pytest.raises(InvalidInput) as refused:
        _add(session, world, "wangwu", display)
    assert refused.value.field == "display_name" and "U+" in refused.value.message
    session.rollback()


def test_user_names_are_nfkc_and_look_alikes_are_refused(world, session):
    user = _add(session, world, "ｚｈａｎｇ")  # fullwidth
    session.commit()
    assert user.username == "zhang"
    for lookalike in ("ZHANG", "zhаng",  # Cyrillic а
                      "zhαng", "Ｚｈａｎｇ", "ｚhang"):
        with pytest.raises(InvalidInput) as refused:
            _add(session, world, lookalike, display=f"别人{len(lookalike)}")
        assert refused.value.field == "username", lookalike
        session.rollback()
    _add(session, world, "rnike", display="米克")
    session.commit()
    with pytest.raises(InvalidInput):
        _add(session, world, "mike", display="麦克")
    session.rollback()
    assert skeleton("раураl") == skeleton("paypal")  # Cyrillic р, а, у


def test_display_names_are_unique_among_active_accounts(world, session):
    office = world.users["office_staff"]  # 王经办
    for same in ("王经办", " 王经办 ", "王 经办", "王  经 办"):
        with pytest.raises(InvalidInput) as refused:
            _add(session, world, "wang2", same)
        assert refused.value.field == "display_name" and office.username in refused.value.message
        session.rollback()
    # once the first account is disabled the name may be given again ...
    directory_admin.set_active(session, world.users["admin"], office.id, False)
    second = _add(session, world, "wang2", "王经办")
    session.commit()
    # ... but the first cannot come back beside it
    with pytest.raises(InvalidInput) as refused:
        directory_admin.set_active(session, world.users["admin"], office.id, True)
    assert refused.value.field == "display_name"
    session.rollback()
    # renaming onto an active account's name is refused too
    with pytest.raises(InvalidInput):
        directory_admin.update_user(session, world.users["admin"], world.users["dept_head"].id,
                                    display_name="王经办")
    session.rollback()
    assert second.active


@pytest.mark.parametrize("name", ["湖塘\u200b镇", "\u202e镇塘湖", "湖塘\u2067镇\u2069"])
def test_bidi_and_zero_width_refused_in_department_names(world, session, pages, runner, name):
    with pytest.raises(InvalidInput) as refused:
        directory_admin.add_department(session, world.users["admin"], name, "town")
    assert refused.value.field == "name"
    session.rollback()
    with pytest.raises(InvalidInput):
        directory_admin.rename_department(session, world.users["admin"], world.dept.id, name)
    session.rollback()
    admin = pages("admin")
    admin.get("/admin/departments")
    resp = admin.post("/admin/departments", {"name": name, "kind": "town"})
    assert resp.status_code == 400 and 'id="err-add-name"' in resp.text
    result = runner.invoke(args=["departments", "add", name])
    assert result.exit_code != 0 and "不可见" in result.output
    result = runner.invoke(args=["departments", "add", "区交通局", "--group", "to\u200bwns"])
    assert result.exit_code != 0
    assert session.scalar(select(Department).where(Department.name == "区交通局")) is None
    session.commit()


def test_a_second_account_of_one_person_does_not_pass_same_person(world, session):
    """王经办 verified; a second account in his name (an old account or one opened before
    names were checked) may not close what he verified, nor verify what he reported."""
    case = world.case_at("verified")
    alias = world.user("office_director", world.office, "王 经办", username="wang-director")
    session.commit()
    assert same_person(alias, world.users["office_staff"])
    assert not same_person(world.users["office_director"], world.users["office_staff"])
    from workflow.core import service
    from workflow.platform.errors import RuleFailed
    with pytest.raises(RuleFailed) as refused:
        service.transition(session, case.id, "close", alias, version=case.version,
                           settings=service.Settings.from_config(world.app.config))
    assert refused.value.rules == ["same_person"]
    session.rollback()
    world.step(case, "close", "office_director")  # another person may

    reported = world.case_at("reported")
    reporter = session.get(User, reported.reported_by_id)
    twin = world.user("office_staff", world.office, reporter.display_name, username="twin")
    session.commit()
    with pytest.raises(RuleFailed) as refused:
        service.transition(session, reported.id, "verify", twin, version=reported.version,
                           settings=service.Settings.from_config(world.app.config))
    assert refused.value.rules == ["same_person"]
    session.rollback()


def test_records_and_timeline_print_user_name_and_id(world, session, storage, pages):
    case = world.case_at("closed")
    staff, director = world.users["office_staff"], world.users["office_director"]
    text = squash(pdf_text(render_closure_report(session, case, storage=storage)))
    session.commit()
    for user in (staff, director, world.users["dept_head"]):
        assert squash(f"{user.display_name}（{user.username}，id {user.id}）") in text, user.username
    page = pages("auditor").get(f"/cases/{case.id}").text
    assert f"[{staff.username} · id {staff.id}]" in page
    assert f"{director.username} · id {director.id}" in page
