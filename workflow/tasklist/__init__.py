"""目标任务清单: the annual task list — plans, items, the importer, occurrences and targets.

Entry points: ``importer`` (import_tasklist), ``models`` (Plan, PlanItem, Responsibility),
``occurrences``, ``expand`` (分解部门组), ``split`` (who owes each item: roles, names, targets),
``progress`` (a case's own targets; the ``target_not_met`` rule of a task's report).
The parser is re-exported here: it touches no database code.
"""

from workflow.tasklist.parse import (
    GROUP_NAMES,
    GROUP_PHRASES,
    ParsedItem,
    ParsedPlan,
    TaskListError,
    parse_tasklist,
)

__all__ = ["GROUP_NAMES", "GROUP_PHRASES", "ParsedItem", "ParsedPlan", "TaskListError", "parse_tasklist"]
