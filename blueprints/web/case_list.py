"""The case list: filters, sortable columns, keyset pages."""
from __future__ import annotations

import io

from flask import render_template, request, send_file, url_for
from sqlalchemy import func, not_, select

from blueprints.extensions import db
from blueprints.web import actor, bp, today
from blueprints.web.home import queue_context
from workflow.core.queries import SORTS, filtered_cases, page, parse_sort
from workflow.org.models import Department
from workflow.platform.errors import InvalidInput
from workflow.platform.vocab import KINDS, SOURCES
from workflow.platform.wording import TASK_QUEUE_LABELS, status_labels
from workflow.problems.queues import QUEUES, ROLE_QUEUES, overdue_clause, queue_clause
from workflow.records.ledger_xlsx import ledger_filename, write_ledger

PAGE_SIZE = 50
FILTERS = ("kind", "status", "department_id", "source", "grade", "overdue", "year", "q", "queue")


def _query(args, user):
    """The filtered case query; ``overdue`` also counts deadlines passed since the last sweep."""
    core_args = {k: v for k, v in args.items() if k in FILTERS[:-1] and k != "overdue"}
    stmt = filtered_cases(user, core_args)
    overdue = args.get("overdue") or None
    if overdue not in (None, "true", "false"):
        raise InvalidInput("overdue 须为 true 或 false", field="overdue")
    if overdue:
        clause = overdue_clause(today())
        stmt = stmt.where(clause if overdue == "true" else not_(clause))
    key = args.get("queue") or None
    if key:
        if key not in QUEUES:
            raise InvalidInput("未知的工作队列", field="queue")
        stmt = stmt.where(queue_clause(key, queue_context(user)))
    return stmt


def sort_url(args, column: str, current: str, descending: bool) -> str:
    """Link of a column header: sort by it, or flip the direction when it is the sort."""
    flip = column == current and not descending
    params = {k: v for k, v in args.items() if k in FILTERS and v}
    params["sort"] = ("-" if flip else "") + column
    return url_for("pages.case_list", **params)


@bp.get("/cases")
def case_list():
    user = actor()
    args = request.args
    error = None
    items, next_cursor, total = [], None, 0
    try:
        sort, descending = parse_sort(args.get("sort"))
        stmt = _query(args, user)
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        items, next_cursor = page(db.session, stmt, sort=sort, descending=descending,
                                  after=args.get("after") or None, limit=PAGE_SIZE)
    except InvalidInput as exc:
        error, sort, descending = exc.message, "registered", True
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.kind, Department.name)).all()
    filters = {k: args.get(k, "") for k in FILTERS}
    base = {k: v for k, v in filters.items() if v}
    current_sort = ("-" if descending else "") + sort
    next_url = url_for("pages.case_list", **base, sort=current_sort, after=next_cursor) \
        if next_cursor else None
    first_url = url_for("pages.case_list", **base, sort=current_sort) if args.get("after") else None
    queues = [(k, QUEUES[k].label) for k in ROLE_QUEUES.get(user.role, [])]
    if filters.get("kind") == "task":  # a list of tasks names its queues in their words
        queues = [(k, TASK_QUEUE_LABELS.get(k, label)) for k, label in queues
                  if k not in ("major", "lookbacks_due", "reopen_pending", "major_extensions",
                               "complaints_due", "drafts", "my_drafts")]
    return render_template(
        "pages/case_list.html", items=items, total=total, filters=filters, error=error,
        departments=departments, sort=sort, descending=descending, sorts=SORTS,
        sort_url=lambda col: sort_url(args, col, sort, descending), next_url=next_url,
        first_url=first_url, queues=queues, ledger_args=_ledger_args(base), list_args=base, queue_label=QUEUES[filters["queue"]].label
        if filters["queue"] in QUEUES else None,
        STATUS_LABELS=status_labels(filters.get("kind")),
        **({"SOURCES": {k: v for k, v in SOURCES.items() if k == "task_list"}}
           if filters.get("kind") == "task" else {})), (400 if error else 200)


# the list filters that the ledger exports (API) take too
LEDGER_ARGS = ("kind", "status", "department_id", "source", "grade", "overdue", "q", "year")


def _ledger_args(base: dict) -> dict:
    return {k: v for k, v in base.items() if k in LEDGER_ARGS}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/cases/ledger.xlsx")
def case_list_ledger():
    """按当前条件导出台账: exactly the list's query (the queue and overdue filters too).

    A list filtered to one kind exports that kind's sheet only, so the workbook never
    opens on an empty sheet."""
    user = actor()
    stmt = _query(request.args, user)
    kind = request.args.get("kind")
    kinds = (kind,) if kind in KINDS else None
    data = write_ledger(db.session, stmt.whereclause, kinds=kinds)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=ledger_filename(today()))
