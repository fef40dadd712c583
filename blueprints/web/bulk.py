"""Bulk actions on the case list and the work queues: select rows, apply one action.

The list page is one form: a checkbox per row (its id and the version shown) and an action
bar. 签收, 催办 and 延期审批 go through ``workflow.problems.bulk`` — each row exactly as a
single request — and the page comes back with a result per row; 导出 downloads the selected
rows as the Excel ledger.
"""
from __future__ import annotations

import io

from flask import g, request, send_file

from blueprints.extensions import db, settings
from blueprints.web import actor, bp
from blueprints.web.case_list import case_list
from workflow.core.cases import Case
from workflow.core.queries import filtered_cases
from workflow.org.roles import DEPARTMENT_ROLES, OFFICE_ROLES
from workflow.platform.base import local_today
from workflow.platform.errors import InvalidInput
from workflow.problems.bulk import MAX_ITEMS, bulk_apply
from workflow.records.ledger_xlsx import ledger_filename, write_ledger

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACTIONS = {"accept": "签收", "urge": "催办", "approve_extension": "延期审批（批准）",
           "export": "导出 Excel"}


def bulk_actions(user) -> list[tuple[str, str]]:
    """The actions the action bar offers this user (the service still checks every row)."""
    keys = (["accept"] if user.role in DEPARTMENT_ROLES else []) + (
        ["urge", "approve_extension"] if user.role in OFFICE_ROLES else []) + ["export"]
    return [(k, ACTIONS[k]) for k in keys]


def _items(values) -> list[tuple[int, int]]:
    items = []
    for value in values:
        case_id, _, version = str(value).partition(":")
        if not (case_id.isdigit() and version.isdigit()) or not 0 < int(case_id) < 2**31:
            raise InvalidInput("选中的事项无效，请刷新页面后重试", field="item")
        items.append((int(case_id), int(version)))
    if not items:
        raise InvalidInput("请先勾选要办理的事项", field="item")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"一次最多处理 {MAX_ITEMS} 件", field="item")
    return items


@bp.post("/cases/bulk")
def case_bulk():
    user = actor()
    action = request.form.get("action") or ""
    if action not in dict(bulk_actions(user)):
        raise InvalidInput("请选择批量操作", field="action")
    items = _items(request.form.getlist("item"))
    if action == "export":
        ids = [i for i, _ in items]
        visible = filtered_cases(user, {}).where(Case.id.in_(ids))
        data = write_ledger(db.session, visible.whereclause)
        return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                         download_name=ledger_filename(local_today()))
    comment = (request.form.get("comment") or "").strip() or None
    if comment and len(comment) > 2000:
        raise InvalidInput("意见最多 2000 字", field="comment")
    results = bulk_apply(db.session, user, action, items, comment=comment, settings=settings())
    db.session.commit()
    shown = filtered_cases(user, {}).where(Case.id.in_([r["id"] for r in results]))
    labels = {c.id: c.display_number for c in db.session.scalars(shown)}
    g.bulk_result = {"action": ACTIONS[action], "results": results, "labels": labels,
                     "done": sum(r["ok"] for r in results),
                     "refused": sum(not r["ok"] for r in results)}
    return case_list()  # the same list (filters from the query string), with the results


@bp.app_context_processor
def _bulk_bar():
    return {"bulk_actions": bulk_actions}
