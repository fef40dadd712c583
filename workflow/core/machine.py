"""The case state machine of the domain brief §3, declared once.

One module-level machine serves every case: ``fire(case, trigger)`` moves a
case's ``status`` and ``MACHINE.get_triggers(status)`` lists what is possible.
No machine per row (costly, and ``add_model`` keeps every model forever).
"""
from __future__ import annotations

from transitions import Machine

from workflow.org.roles import DEPT_HEAD, DEPT_OFFICER, LEADER, OFFICE_DIRECTOR, OFFICE_STAFF
from workflow.platform.vocab import STATUSES

TRANSITIONS = [
    {"trigger": "register", "source": "draft", "dest": "assigned"},
    {"trigger": "accept", "source": "assigned", "dest": "in_progress"},
    {"trigger": "report", "source": "in_progress", "dest": "reported"},
    {"trigger": "return", "source": "reported", "dest": "in_progress"},
    {"trigger": "verify", "source": "reported", "dest": "verified"},
    {"trigger": "reject", "source": "verified", "dest": "in_progress"},
    {"trigger": "close", "source": "verified", "dest": "closed"},
    {"trigger": "reopen", "source": "closed", "dest": "in_progress"},
    {"trigger": "cancel", "source": ["draft", "assigned"], "dest": "cancelled"},
    {"trigger": "transfer", "source": ["assigned", "in_progress"], "dest": "assigned"},
    # 监督举报 found 不属实 on 核实: the matter ends (closed, outcome dismissed), nothing rectified
    {"trigger": "dismiss", "source": ["assigned", "in_progress"], "dest": "closed"},
]
TRIGGERS = tuple(dict.fromkeys(t["trigger"] for t in TRANSITIONS))

MACHINE = Machine(model=None, states=list(STATUSES), transitions=TRANSITIONS,
                  model_attribute="status", auto_transitions=False, initial=None)

# Who may fire each trigger (domain brief §3). ``close`` depends on the case:
# see ``roles_for``.
TRIGGER_ROLES: dict[str, frozenset[str]] = {
    "register": frozenset({OFFICE_STAFF}),
    "accept": frozenset({DEPT_OFFICER, DEPT_HEAD}),
    "report": frozenset({DEPT_HEAD}),
    "return": frozenset({OFFICE_STAFF}),
    "verify": frozenset({OFFICE_STAFF}),
    "reject": frozenset({OFFICE_DIRECTOR}),
    "close": frozenset({OFFICE_STAFF, OFFICE_DIRECTOR}),
    "reopen": frozenset({OFFICE_DIRECTOR}),
    "cancel": frozenset({OFFICE_DIRECTOR}),
    "transfer": frozenset({OFFICE_STAFF}),
    "dismiss": frozenset({OFFICE_STAFF, OFFICE_DIRECTOR}),
}
# Triggers that exist only for some cases: ``dismiss`` ends a 举报 (source complaint)
CASE_TRIGGERS = {"dismiss": lambda case: case.source == "complaint"}
# Triggers that act on the caller's own department's case
DEPARTMENT_SCOPED = frozenset({"accept", "report"})


# A task the 区安委办 owes itself (issue 11): its 经办人 签收s and 报送s, the 主任 审核s
# (or 退回s), a 区领导 办结s (or sends it back); nobody checks their own work.
OFFICE_LED_ROLES: dict[str, frozenset[str]] = {
    "accept": frozenset({OFFICE_STAFF}),
    "report": frozenset({OFFICE_STAFF}),
    "verify": frozenset({OFFICE_DIRECTOR}),
    "return": frozenset({OFFICE_DIRECTOR}),
    "close": frozenset({LEADER}),
    "reject": frozenset({LEADER}),
}


def roles_for(trigger: str, case) -> frozenset[str]:
    """Roles allowed to fire ``trigger`` on this case."""
    if trigger in OFFICE_LED_ROLES and getattr(case, "is_office_led", False):
        return OFFICE_LED_ROLES[trigger]
    if trigger == "close" and case.needs_director_to_close:
        return frozenset({OFFICE_DIRECTOR})
    return TRIGGER_ROLES[trigger]


def possible_triggers(status: str) -> list[str]:
    return [t for t in TRIGGERS if t in MACHINE.get_triggers(status)]


def triggers_for(case) -> list[str]:
    """The triggers of the case's status that apply to this case at all."""
    return [t for t in possible_triggers(case.status)
            if t not in CASE_TRIGGERS or CASE_TRIGGERS[t](case)]


# The machine has no conditions or callbacks, so each (status, trigger) has one destination:
# read them out of the declared machine once, and firing is a lookup (the library's own
# event dispatch costs more than the rest of a transition's Python work).
assert not any(t.conditions or t.before or t.after or t.prepare
               for ev in MACHINE.events.values() for ts in ev.transitions.values() for t in ts)
DESTINATIONS: dict[tuple[str, str], str] = {
    (source, trigger): ts[0].dest
    for trigger, ev in MACHINE.events.items() for source, ts in ev.transitions.items()}


def can_fire(status: str, trigger: str) -> bool:
    return (status, trigger) in DESTINATIONS


def fire(case, trigger: str) -> None:
    """Move ``case.status`` along ``trigger``; the caller checked legality."""
    dest = DESTINATIONS.get((case.status, trigger))
    if dest is None:
        raise RuntimeError(f"transition {trigger} refused from {case.status}")
    case.status = dest
