"""部门别名与承办单位: the page where the administrator or the 区安委办 keeps them."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from blueprints.extensions import db
from blueprints.web import ID, FormErrors, actor, bp, errors_from
from workflow.org.aliases import ALIAS_EDITORS, ALIAS_KINDS, list_aliases, remove_alias, set_alias
from workflow.org.models import Department
from workflow.platform.errors import DomainError
from workflow.platform.parsing import parse_id


def _editor_only():
    if actor().role not in ALIAS_EDITORS:
        abort(403)


def _page(errors=None, values=None, status=200):
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.kind, Department.name)).all()
    return render_template("pages/department_aliases.html", aliases=list_aliases(db.session),
                           departments=departments, kinds=ALIAS_KINDS,
                           errors=errors or FormErrors(), values=values or {}), status


@bp.get("/department-aliases")
def department_aliases():
    _editor_only()
    return _page()


@bp.post("/department-aliases")
def department_alias_add():
    _editor_only()
    form = request.form
    try:
        target = parse_id(form.get("department_id"), "department_id")
        row = set_alias(db.session, actor(), form.get("alias", ""), target,
                        kind=form.get("kind") or "alias")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _page(errors_from(exc, "add", ("alias", "department_id", "kind", "target")),
                     {"add": form}, exc.status)
    flash(f"已保存：{row.label}")
    return redirect(url_for("pages.department_aliases"))


@bp.post(f"/department-aliases/<{ID}:alias_id>/remove")
def department_alias_remove(alias_id: int):
    _editor_only()
    remove_alias(db.session, actor(), alias_id)
    db.session.commit()
    flash("已删除别名")
    return redirect(url_for("pages.department_aliases"))
