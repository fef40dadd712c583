"""Tasks the 区安委办 owes itself (items 7, 8, 15, 16, 17, 37 of the real 2020 list):
its 经办人 签收s and 报送s, the 主任 审核s, a 区领导 办结s; nobody checks their own work."""
from __future__ import annotations

import pytest

from tests.taskrun_helpers import OFFICE_ITEMS, cases_of_items, import_real_list, report_done, step
from workflow.core import service
from workflow.core.audit import verify_all
from workflow.core.notifications import Notification
from workflow.platform.errors import Forbidden, RuleFailed


@pytest.fixture
def office_cases(world):
    import_real_list(world, 2020)
    found = cases_of_items(world.session, OFFICE_ITEMS, 2020)
    assert sorted(found) == list(OFFICE_ITEMS)
    out = []
    for seq in OFFICE_ITEMS:
        mine = [c for c in found[seq] if c.department_id == world.office.id]
        assert len(mine) == 1, (seq, [c.department.name for c in found[seq]])
        out.append(mine[0])
    return out


def test_office_items_walked_end_to_end(world, office_cases, session):
    for case in office_cases:
        assert case.is_office_led and case.status == "assigned"
        assert case.status_label == "已交办"
        step(world, case, "accept", "office_staff")
        assert case.status_label == "推进中"
        report_done(world, case, "office_staff")
        assert case.status == "reported" and case.reported_by_id == world.users["office_staff"].id
        step(world, case, "verify", "office_director")
        assert case.status_label.startswith("已审核")
        step(world, case, "close", "leader")
        assert case.status == "closed" and case.status_label == "已办结"
        assert case.closed_by_id == world.users["leader"].id
    assert not list(verify_all(session))  # every chain intact


def test_roles_of_an_office_item(world, office_cases):
    case = office_cases[0]
    with pytest.raises(Forbidden) as refused:  # a department user is not the office
        step(world, case, "accept", "dept_officer")
    assert refused.value.needed_roles == ["office_staff"]
    step(world, case, "accept", "office_staff")
    report_done(world, case, "office_staff")
    # the 经办人 who reported cannot 审核 (the 主任 does), another 经办人 neither
    for who in ("office_staff", "office_staff2"):
        with pytest.raises(Forbidden) as refused:
            step(world, case, "verify", who)
        assert refused.value.needed_roles == ["office_director"]
    step(world, case, "verify", "office_director")
    # the 主任 who 审核ed does not 办结: a 区领导 does
    with pytest.raises(Forbidden) as refused:
        step(world, case, "close", "office_director")
    assert refused.value.needed_roles == ["leader"]
    step(world, case, "close", "leader")


def test_same_person_still_holds(world, office_cases, session):
    """A 主任 account that also 报送ed (e.g. standing in for the 经办人) may not 审核 it."""
    case = office_cases[1]
    step(world, case, "accept", "office_staff")
    report_done(world, case, "office_staff")
    # the same natural person under two accounts (same display name) is refused same_person
    world.users["office_director"].display_name = world.users["office_staff"].display_name
    session.commit()
    with pytest.raises(RuleFailed) as failed:
        step(world, case, "verify", "office_director")
    assert "same_person" in failed.value.rules


def test_office_item_notifications_go_to_the_office(world, office_cases, session):
    case = office_cases[2]
    staff, director, leader = (world.users[k] for k in ("office_staff2", "office_director", "leader"))
    titles = lambda user: [n.title for n in session.query(Notification).filter_by(  # noqa: E731
        user_id=user.id, case_id=case.id)]
    assert any(t.startswith("新交办任务") for t in titles(staff))
    step(world, case, "accept", "office_staff")
    report_done(world, case, "office_staff")
    assert any(t.startswith("待审核") for t in titles(director))
    step(world, case, "verify", "office_director")
    assert any(t.startswith("待办结") for t in titles(leader))


def test_actions_offered_to_each_role(world, office_cases, session):
    case = office_cases[3]
    acts = {a["trigger"]: a for a in service.available_actions(session, case, world.users["office_staff"])}
    assert acts["accept"]["allowed"] and acts["accept"]["label"] == "签收"
    step(world, case, "accept", "office_staff")
    acts = {a["trigger"]: a for a in service.available_actions(session, case, world.users["office_staff"])}
    assert acts["report"]["label"] == "报送完成情况"
