"""Import of the annual work-safety task list (目标任务清单)."""

from workflow.tasklist.parse import (
    GROUP_NAMES,
    GROUP_PHRASES,
    ParsedItem,
    ParsedPlan,
    TaskListError,
    parse_tasklist,
)

__all__ = ["GROUP_NAMES", "GROUP_PHRASES", "ParsedItem", "ParsedPlan", "TaskListError", "parse_tasklist"]
