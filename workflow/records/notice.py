"""问题（隐患）交办单: the notice to the responsible department when a case is registered and
assigned (a 问题（隐患）交办单 is what goes to an enterprise, not this)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from workflow.core.cases import Case
from workflow.platform.errors import Conflict
from workflow.platform.vocab import source_label
from workflow.records.casedata import (
    DEFAULT_ISSUER,
    case_fields,
    case_texts,
    events_of,
    first_event,
    last_event_at,
    last_of,
)
from workflow.records.render import format_cn_date, render_pdf, render_record_html
from workflow.records.stamp import ChainStamp, metadata_for

TITLE = "问题（隐患）交办单"
# The notice repeats the fields a department needs to act on, not the whole 台账 row.
NOTICE_FIELDS = ("编号", "问题来源", "隐患等级", "发现时间", "发现人/检查组", "属地", "责任主体",
                 "地点", "责任部门", "配合部门", "整改责任人/电话", "整改期限")


def render_notice(session: Session, case: Case, *, issuer: str = DEFAULT_ISSUER,
                  warnings: list | None = None) -> bytes:
    """Render the notice of a registered case (Conflict for drafts)."""
    if case.registered_at is None or not case.number:
        raise Conflict(f"事项 {case.display_number} 当前状态“{case.status_label}”尚未挂号交办，没有整改通知书",
                       current_version=case.version, status=case.status)
    events = events_of(session, case)
    register = last_of(events, "register") or first_event(events, "register")
    accept = last_of(events, "accept")
    stamp = ChainStamp.of(case)
    as_of = last_event_at(events, case)
    found = "经" + (source_label(case.source) or "检查").removesuffix("发现")
    if case.found_on:
        found += f"，于{format_cn_date(case.found_on)}"
    # the notice goes to the rectifying unit: no trace of a reporter, not even masked
    fields = [(label, source_label(case.source)) if label == "问题来源" else (label, text)
              for label, text in case_fields(case) if label in NOTICE_FIELDS]
    signatures = [("交办人（区安委办）", register.actor_name if register else "",
                   register.at if register else case.registered_at),
                  ("签收人（责任部门）", accept.actor_name if accept else "",
                   accept.at if accept else None)]
    html = render_record_html(
        "records/notice.html", title=TITLE, issuer=issuer, number=case.number, case=case,
        found_text=found, fields=fields, texts=case_texts(case), signatures=signatures,
        issued_on=case.registered_at, stamp=stamp, as_of=as_of)
    return render_pdf(html, identifier=f"notice:{case.id}:{stamp.seq}:{stamp.head}", created=as_of,
                      title=f"{TITLE} {case.number}", warnings=warnings, **metadata_for([stamp]))
