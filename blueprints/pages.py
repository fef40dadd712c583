"""HTML pages (grow with every capability; the same service as the API)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select

from workflow.cases import Case, visible_cases_filter

from .extensions import db

bp = Blueprint("pages", __name__)


@bp.get("/")
@login_required
def home():
    stmt = select(Case)
    scope = visible_cases_filter(current_user)
    if scope is not None:
        stmt = stmt.where(scope)
    cases = db.session.scalars(stmt.order_by(Case.id.desc()).limit(50)).all()
    return render_template("home.html", cases=cases)
