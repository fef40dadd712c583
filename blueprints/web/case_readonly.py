"""A case the user's unit no longer holds (its 管辖异议 was upheld): read-only, not a 404.

The unit that raised the dispute hears the outcome and can still open the case from the
message: what it is, who holds it now, and how its dispute was decided."""
from __future__ import annotations

from flask import render_template

from blueprints.extensions import db
from blueprints.web import actor
from workflow.core import service
from workflow.problems.disputes import STATUSES, former_holder_disputes


def former_holder_view(case_id: int):
    """The read-only page, or None when the user's unit never disputed the case."""
    user = actor()
    disputes = former_holder_disputes(db.session, case_id, user.department_id)
    if not disputes:
        return None
    case = service.get_case(db.session, case_id)
    return render_template("pages/case_readonly.html", case=case, disputes=disputes,
                           dispute_statuses=STATUSES)
