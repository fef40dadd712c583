"""HTML pages for departments, the 安委办, inspectors, auditors and the administrator.

Handlers stay thin and share the service with the JSON API: load (404) →
permission (403) → call the workflow function → commit once → flash and
redirect. A refused step re-renders its form with the message beside the
field (or at the top for a rule) and the status of the domain error.

Every page blueprint is gated once with ``require_login(bp)``: a signed-out
visitor goes to the login page with ``next=`` pointing back.
"""
from __future__ import annotations

import re
from collections.abc import Collection

from flask import Blueprint, request
from flask_login import current_user
from flask_login.config import EXEMPT_METHODS

from blueprints.extensions import db, login_manager
from workflow.core.workdays import calendar_for
from workflow.org.roles import ROLE_LABELS
from workflow.platform.base import local_today, to_local
from workflow.platform.errors import (
    RULE_MESSAGES,
    DomainError,
    FieldRuleFailed,
    InvalidInput,
    RuleFailed,
)
from workflow.platform.parsing import FIELD_NAMES
from workflow.platform.vocab import GRADES, KINDS, SOURCES, STATUS_LABELS
from workflow.problems.fields import FIELD_LABELS as PROBLEM_FIELDS
from workflow.problems.queues import is_overdue

ID = "int(max=2147483647)"


def require_login(blueprint: Blueprint, open_endpoints: Collection[str] = ()) -> None:
    """Send signed-out visitors of ``blueprint`` to the login page, except for ``open_endpoints``.

    Same check and response as Flask-Login's ``@login_required`` (``login_view`` with
    ``next=``, ``login_message`` flashed, OPTIONS let through), once per blueprint.
    """
    @blueprint.before_request
    def _require_login():
        if (current_user.is_authenticated or request.method in EXEMPT_METHODS
                or request.endpoint in open_endpoints):
            return None
        return login_manager.unauthorized()


bp = Blueprint("pages", __name__)
require_login(bp)


def actor():
    """The signed-in user as a plain model object (for the workflow functions)."""
    return current_user._get_current_object()


def today():
    return local_today()


def work_calendar():
    return calendar_for(db.session)


class FormErrors:
    """Messages of one refused form: per field, plus the ones shown at its top."""

    def __init__(self, form: str | None = None, fields: dict | None = None,
                 top: list[str] | None = None):
        self.form = form
        self.fields = fields or {}
        self.top = top or []

    def __bool__(self) -> bool:
        return bool(self.fields or self.top)

    def field(self, name: str) -> str | None:
        return self.fields.get(name)


RULE_FIELDS = {"opinion_required": "comment"}
# "标题（title）", "(deadline_working_days)": a field's code after its Chinese label
_FIELD_CODE = re.compile(r"\s*[（(]([A-Za-z_][A-Za-z0-9_]*)[）)]")
KNOWN_FIELDS = frozenset(PROBLEM_FIELDS) | frozenset(FIELD_NAMES)


def plain(message: str, fields=()) -> str:
    """A message as users read it: Chinese labels only, no field codes (rule codes stay)."""
    names = KNOWN_FIELDS | set(fields)
    return _FIELD_CODE.sub(lambda m: "" if m.group(1) in names else m.group(0), message or "")


def errors_from(exc: DomainError, form: str, field_names=()) -> FormErrors:
    """Place a domain error: beside its field when the form has it, else at the top.

    Messages name fields by their Chinese labels only (the API keeps ``field`` apart)."""
    fields = (*field_names, getattr(exc, "field", None) or "")
    if isinstance(exc, InvalidInput) and exc.field in field_names:
        return FormErrors(form, {exc.field: plain(exc.message, fields)})
    if isinstance(exc, FieldRuleFailed) and exc.field in field_names:  # e.g. credit_code_invalid
        return FormErrors(form, {exc.field: exc.message})
    if isinstance(exc, RuleFailed) and all(c in RULE_MESSAGES for c in exc.rules):
        # a rule about one box of the form (意见, 理由, 说明) is shown beside that box
        fields = {RULE_FIELDS[c]: plain(RULE_MESSAGES[c]) for c in exc.rules
                  if RULE_FIELDS.get(c) in field_names}
        top = [plain(RULE_MESSAGES[c]) for c in exc.rules if RULE_FIELDS.get(c) not in field_names]
        return FormErrors(form, fields, top)
    return FormErrors(form, top=[plain(exc.message, fields)])


@bp.app_template_filter("local_dt")
def _local_dt(value) -> str:
    """A stored UTC instant as Asia/Shanghai time."""
    local = to_local(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


@bp.app_template_filter("cn_date")
def _cn_date(value) -> str:
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


@bp.app_template_filter("filesize")
def _filesize(value: int) -> str:
    if value >= 1024 * 1024:
        return f"{value / 1048576:.1f} MB"
    if value >= 1024:
        return f"{value / 1024:.0f} KB"
    return f"{value} B"


@bp.app_context_processor
def _vocab():
    return {"STATUS_LABELS": STATUS_LABELS, "SOURCES": SOURCES, "GRADES": GRADES,
            "KINDS": KINDS, "RULE_MESSAGES": RULE_MESSAGES, "ROLE_LABELS": ROLE_LABELS,
            "overdue": lambda case: is_overdue(case, today())}


from blueprints.web import (  # noqa: E402,F401  (routes register on import)
    admin,
    aliases,
    approval,
    batches,
    bulk,
    calendar_page,
    case_complaint,
    case_extras,
    case_list,
    case_page,
    enterprises,
    evidence,
    home,
    messages,
    notifications,
    register,
)
