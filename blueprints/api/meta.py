"""Reference data: departments and groups."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from workflow.orgs import Department, DepartmentGroup

from ..extensions import db
from . import authed, bp


@bp.get("/departments")
@authed
def departments():
    rows = db.session.scalars(select(Department).order_by(Department.name)).all()
    groups = db.session.scalars(select(DepartmentGroup).order_by(DepartmentGroup.key)).all()
    return jsonify({"items": [d.to_dict() for d in rows],
                    "groups": [g.to_dict() for g in groups]})
