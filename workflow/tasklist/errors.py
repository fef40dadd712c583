"""The one error the task-list parser raises for bad input."""


class TaskListError(ValueError):
    """A task list that cannot be imported, with a message for the user.

    `row` is the source row (or line) number when one row is to blame, `part` names the
    file part (a table, a sheet, a zip member) when known.
    """

    def __init__(self, message: str, row: int | None = None, part: str | None = None):
        super().__init__(message)
        self.message = message
        self.row = row
        self.part = part

    def __str__(self) -> str:
        return self.message
