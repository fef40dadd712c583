"""延期整改审批意见书: the decision on a department's request to extend a deadline."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from workflow.org.names import person_label
from workflow.platform.vocab import GRADES
from workflow.records.casedata import DEFAULT_ISSUER, events_of, last_event_at
from workflow.records.render import render_pdf, render_record_html
from workflow.records.stamp import ChainStamp, metadata_for

TITLE = "延期整改审批意见书"
DECISIONS = {"approved": "同意延期", "rejected": "不同意延期", "pending": "待审批",
             "withdrawn": "已撤回"}


def _name(value) -> str:
    """A person given as a User-like object (display_name) or as plain text."""
    if value is None:
        return ""
    if getattr(value, "username", None) and getattr(value, "id", None) is not None:
        return person_label(value)
    return str(getattr(value, "display_name", None) or getattr(value, "name", None) or value)


def render_extension_decision(case, extension, *, session: Session | None = None,
                              issuer: str = DEFAULT_ISSUER, warnings: list | None = None) -> bytes:
    """Render the 延期整改审批意见书 of one extension request of ``case``.

    ``extension`` is read by attribute only (any object will do): ``id``,
    ``requested_by`` and ``decided_by`` (a User or a name), ``reason``,
    ``interim_measures``, ``new_deadline`` (date), ``status`` ("approved",
    "rejected", "pending" or Chinese text), ``comment`` or ``decision_comment``,
    ``decided_at`` (UTC instant) and, when present, ``requested_at`` and
    ``old_deadline``/``previous_deadline`` (else the case's original deadline).
    With ``session`` the record is dated by the case's last audit event (the
    same case state gives the same bytes); without it, by ``decided_at``.
    The case's chain head is printed and embedded like on the closure report.
    """
    def attr(*names, default=None):
        for name in names:
            value = getattr(extension, name, None)
            if value is not None:
                return value
        return default

    decided_at = attr("decided_at")
    if session is not None:
        as_of = last_event_at(events_of(session, case), case)
    else:
        as_of = decided_at or attr("requested_at") or case.created_at
    stamp = ChainStamp.of(case)
    status = str(attr("status", default="pending"))
    old_deadline: date | None = attr("old_deadline", "previous_deadline",
                                     default=case.original_deadline or case.deadline)
    requested_at: datetime | None = attr("requested_at", "created_at")
    html = render_record_html(
        "records/extension.html", title=TITLE, issuer=issuer,
        number=f"{case.display_number}-延{attr('id', default='')}", case=case,
        grade=GRADES.get(case.grade, case.grade or ""), requested_by=_name(attr("requested_by")),
        old_deadline=old_deadline, new_deadline=attr("new_deadline"), requested_at=requested_at,
        decision=DECISIONS.get(status, status), reason=attr("reason", default=""),
        interim_measures=attr("interim_measures", default=""),
        comment=attr("decision_comment", "comment", default=""),
        signatures=[("申请人（部门负责人）", _name(attr("requested_by")), requested_at),
                    ("审批人", _name(attr("decided_by")), decided_at)],
        stamp=stamp, as_of=as_of)
    return render_pdf(html, identifier=f"extension:{case.id}:{attr('id', default='')}:{status}:"
                                       f"{stamp.seq}:{stamp.head}",
                      created=as_of, title=f"{TITLE} {case.display_number}", warnings=warnings,
                      **metadata_for([stamp]))
