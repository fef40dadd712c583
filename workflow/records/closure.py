"""整改销号审批表: the closure report of a case, printable at any status."""
from __future__ import annotations

from sqlalchemy.orm import Session

from workflow.core.cases import Case
from workflow.core.evidence import Storage
from workflow.org.names import person_label
from workflow.records.casedata import (
    DEFAULT_ISSUER,
    case_fields,
    case_texts,
    events_of,
    evidence_rows,
    last_event_at,
    major_rows,
    onsite_rows,
    plan_rows,
    timeline,
)
from workflow.records.render import render_pdf, render_record_html
from workflow.records.render_cache import RenderCache
from workflow.records.stamp import ChainStamp, metadata_for
from workflow.records.task_review import TASK_TITLE, task_review_html

TITLE = "整改销号审批表"


def approval_rows(case: Case) -> list[tuple]:
    """(label, name, date) of who reported, verified and closed the current round."""
    return [("上报（部门负责人）", person_label(case.reported_by), case.reported_at),
            ("核查（区安委办）", person_label(case.verified_by), case.verified_at),
            ("销号审批", person_label(case.closed_by), case.closed_at)]


# the steps whose 意见 the 审批意见 section prints, with the name of the step
OPINION_STEPS = {"report": "上报意见（责任单位）", "return": "退回意见（区安委办）",
                 "verify": "核查意见（区安委办）", "reject": "审批不通过意见",
                 "close": "销号意见", "dismiss": "办结意见"}


def opinion_rows(events) -> list[tuple]:
    """(step, 意见, name, date) of every approval step taken, in order, every round."""
    return [(OPINION_STEPS[ev.action], ev.comment or "", ev.actor_name, ev.at)
            for ev in events if ev.action in OPINION_STEPS]
def record_title(case: Case) -> str:
    """整改销号审批表 for a problem; a task's record is its 目标任务完成情况审核表."""
    return TASK_TITLE if case.kind == "task" else TITLE


def closure_html(session: Session, case: Case, *, storage: Storage | None,
                 issuer: str = DEFAULT_ISSUER) -> tuple[str, ChainStamp, object]:
    """The report's HTML, the chain stamp it prints and the instant it is dated."""
    if case.kind == "task":
        return task_review_html(session, case, storage=storage, issuer=issuer)
    events = events_of(session, case)
    stamp = ChainStamp.of(case)
    as_of = last_event_at(events, case)
    html = render_record_html(
        "records/closure.html", title=TITLE, issuer=issuer, number=case.display_number,
        case=case, closed=case.status == "closed", fields=case_fields(case),
        texts=case_texts(case), plan=plan_rows(case), major=major_rows(session, case),
        onsite=onsite_rows(session, case),
        evidence=evidence_rows(session, case, storage), timeline=timeline(session, events),
        approvals=approval_rows(case), opinions=opinion_rows(events), stamp=stamp, as_of=as_of)
    return html, stamp, as_of


def render_closure_report(session: Session, case: Case, *, storage: Storage | None,
                          issuer: str = DEFAULT_ISSUER, warnings: list | None = None,
                          cache: RenderCache | None = None) -> bytes:
    """Render the closure report; the same case state gives the same bytes.

    The PDF identifier and creation date come from the case's last audit event,
    and the chain head is printed, embedded as /SafeLoopChain and put in a QR
    code, so ``records verify`` can tell whether the case changed since.
    """
    return prepare_closure_report(session, case, storage=storage, issuer=issuer,
                                  cache=cache)(warnings)


def prepare_closure_report(session: Session, case: Case, *, storage: Storage | None,
                           issuer: str = DEFAULT_ISSUER, cache: RenderCache | None = None):
    """Read everything the report needs now; return a function that renders it.

    The returned function touches no database, so a worker can end its
    transaction before the CPU-heavy render (on SQLite a transaction holds the
    write lock, which would serialise parallel workers).
    """
    html, stamp, as_of = closure_html(session, case, storage=storage, issuer=issuer)
    identifier = f"closure:{case.id}:{stamp.seq}:{stamp.head}"
    title = f"{record_title(case)} {case.display_number}"

    def render(warnings: list | None = None) -> bytes:
        return render_pdf(html, identifier=identifier, created=as_of, title=title,
                          warnings=warnings, cache=cache, **metadata_for([stamp]))
    return render
