"""Random and legal triggers against the service: status stays legal, the chain holds."""
from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import select

from tests.conftest import reset_database
from tests.factories import World
from workflow.core import machine, service
from workflow.core.audit import AuditEvent, verify_case_chain
from workflow.platform.errors import DomainError
from workflow.platform.vocab import STATUSES

ACTORS = ["office_staff", "office_staff2", "office_director", "dept_officer", "dept_head",
          "other_officer", "inspector", "auditor", "admin"]
# For each status, a legal step: (trigger, actor, extra data); a path that visits every state
LEGAL = {
    "draft": [("register", "office_staff", {}), ("cancel", "office_director", {})],
    "assigned": [("accept", "dept_officer", {}), ("transfer", "office_staff", {"other": True})],
    "in_progress": [("report", "dept_head", {"statement": "已整改"})],
    "reported": [("verify", "office_staff", {}), ("return", "office_staff", {})],
    "verified": [("close", "office_director", {}), ("reject", "office_director", {})],
    "closed": [("reopen", "office_director", {})],
}


def run_machine(app):
    class CaseLife(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            reset_database(app)
            self.session = app.extensions["safeloop.sessionmaker"]()
            self.world = World(self.session, app)
            self.case = self.world.problem()
            self.dept_of_case = self.world.dept

        def teardown(self):
            self.session.close()

        def _fire(self, trigger, who, comment, data):
            before = self.case.status
            try:
                service.transition(self.session, self.case.id, trigger, self.world.users[who],
                                   version=self.case.version, comment=comment, data=data)
                self.session.commit()
            except DomainError:
                self.session.rollback()
                self.session.refresh(self.case)
                assert self.case.status == before
                return False
            assert machine.can_fire(before, trigger)
            return True

        @rule(trigger=st.sampled_from(machine.TRIGGERS), who=st.sampled_from(ACTORS),
              comment=st.sampled_from([None, "", "意见"]))
        def random_step(self, trigger, who, comment):
            data = {"department_id": self.world.other_dept.id} if trigger == "transfer" else {}
            self._fire(trigger, who, comment, data)

        @precondition(lambda self: self.case.status in LEGAL)
        @rule(choice=st.integers(0, 1))
        def legal_step(self, choice):
            options = LEGAL[self.case.status]
            trigger, who, data = options[choice % len(options)]
            data = dict(data)
            if data.pop("other", False):
                target = self.world.other_dept if self.case.department_id == self.world.dept.id \
                    else self.world.dept
                data["department_id"] = target.id
            if trigger == "report":
                self.world.evidence(self.case, who=self._dept_user("dept_officer"))
            who = self._dept_user(who) if who.startswith("dept_") else who
            expected = machine.MACHINE.get_transitions(trigger, source=self.case.status)[0].dest
            assert self._fire(trigger, who, "按规定办理", data), (trigger, self.case.status)
            assert self.case.status == expected

        def _dept_user(self, role):
            if self.case.department_id == self.world.dept.id:
                return role
            return "other_officer" if role == "dept_officer" else "other_head"

        @invariant()
        def status_is_legal_and_chain_holds(self):
            assert self.case.status in STATUSES
            events = self.session.scalars(select(AuditEvent).where(
                AuditEvent.case_id == self.case.id).order_by(AuditEvent.seq)).all()
            assert verify_case_chain(self.case, events) is None

    run_state_machine_as_test(CaseLife, settings=settings(
        max_examples=15, stateful_step_count=30, deadline=None,
        suppress_health_check=[HealthCheck.too_slow]))


def test_case_life_stateful(app):
    run_machine(app)
