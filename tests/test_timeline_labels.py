"""Every action written to an audit chain has a Chinese timeline label (no raw codes on a page)."""
from __future__ import annotations

import ast
from pathlib import Path

from workflow.core import machine, policy
from workflow.core.cases import ONSITE_ACTIONS
from workflow.platform.vocab import ACTION_LABELS
from workflow.problems import supervision

ROOT = Path(__file__).resolve().parent.parent / "workflow"
WRITERS = {"record", "append_event", "_record_on_cases"}  # action is the 4th positional argument
# writers whose action is the 3rd positional argument (case, actor, action): the sealed row
# a transition writes with one Core INSERT
ROW_WRITERS = {"event_row"}
# Writers called with a variable: the values that variable can take, by (file, name)
VARIABLES = {
    ("service.py", "trigger"): set(machine.TRIGGERS),
    ("supervision.py", "kind"): set(policy.SUPERVISION_ROLES),
    ("supervision.py", "action"): {"list", "delist"},
    ("sweep.py", "kind"): {k for k, (_, level) in supervision.ALERT_KINDS.items() if level > 0},
    ("service.py", "onsite_action"): set(ONSITE_ACTIONS.values()),
    ("listings.py", "act"): {"list", "delist"},
    ("acts.py", "action"): {f"measure_{a}" for a in (
        "letter", "interview", "bulletin", "referral", "reply", "minutes", "report", "receipt",
        "outcome")},
}


def _name(func) -> str | None:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def written_actions() -> tuple[set[str], list[str]]:
    actions, unknown = set(), []
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # inside a writer, passing its own ``action`` parameter on is not a new action
        passed_on = {id(call) for fn in ast.walk(tree)
                     if isinstance(fn, ast.FunctionDef) and fn.name in WRITERS | ROW_WRITERS
                     for call in ast.walk(fn) if isinstance(call, ast.Call)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            arg = None
            if _name(node.func) in WRITERS and len(node.args) >= 4:
                arg = node.args[3]
            elif _name(node.func) in ROW_WRITERS and len(node.args) >= 3:
                arg = node.args[2]
            elif _name(node.func) == "AuditEvent":
                arg = next((k.value for k in node.keywords if k.arg == "action"), None)
            if arg is None:
                continue
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                actions.add(arg.value)
            elif isinstance(arg, ast.Name) and id(node) in passed_on and arg.id == "action":
                continue
            elif isinstance(arg, ast.Name) and (path.name, arg.id) in VARIABLES:
                actions |= VARIABLES[(path.name, arg.id)]
            else:
                unknown.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return actions, unknown


def test_every_recorded_action_has_a_chinese_label():
    actions, unknown = written_actions()
    assert unknown == [], f"audit writers with an action this test cannot resolve: {unknown}"
    # the scan found the writers of every module that records something
    assert {"create", "evidence", "progress", "extension_request", "dispute_decision", "lookback",
            "occurrence", "target_changed", "plan_item_changed", "plan_item_withdrawn",
            "urge", "list", "delist", "interview", "close"} <= actions
    missing = sorted(a for a in actions if a not in ACTION_LABELS)
    assert missing == []
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in ACTION_LABELS[a]) for a in actions)
