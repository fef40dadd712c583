"""Reference data: departments and groups."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from blueprints.api import authed, bp
from blueprints.extensions import db
from workflow.org.models import Department, DepartmentGroup


@bp.get("/departments")
@authed
def departments():
    rows = db.session.scalars(select(Department).order_by(Department.name)).all()
    groups = db.session.scalars(select(DepartmentGroup).order_by(DepartmentGroup.key)).all()
    return jsonify({"items": [d.to_dict() for d in rows],
                    "groups": [g.to_dict() for g in groups]})
