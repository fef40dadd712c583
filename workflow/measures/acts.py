"""Issuing a 督办措施 and recording its steps: role, scope, status, 文号, audit chain.

Every function flushes and never commits (the caller commits once). An act locks the cases
it names (in id order) before it takes its 文号, so the number, the measure and every case's
audit event land in one transaction: a refused or failed act leaves no gap in the sequence.
"""
from __future__ import annotations

import json
import re
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core import policy
from workflow.core.cases import Case
from workflow.core.evidence import Storage
from workflow.core.notifications import department_user_ids, notify, role_user_ids
from workflow.core.numbering import next_seq
from workflow.core.service import Settings, get_case, record, store_upload
from workflow.core.workdays import WorkCalendar
from workflow.measures.models import (
    KINDS,
    STATUSES,
    TONES,
    Measure,
    MeasureAttachment,
    MeasureStep,
    measure_cases,
    measure_departments,
)
from workflow.measures.settings import MeasureSettings
from workflow.org.models import Department, User
from workflow.org.roles import DISCIPLINE
from workflow.platform.base import local_today, to_local, utcnow
from workflow.platform.errors import Conflict, InvalidInput, NotFound, refuse_unknown
from workflow.platform.parsing import parse_id
from workflow.platform.vocab import is_choice

COMMON_FIELDS = {"kind", "department_ids", "case_ids", "title", "content"}
KIND_FIELDS = {
    "letter": {"reply_days"},
    "interview": {"interviewee_name", "interviewee_post", "interviewer", "scheduled_at", "place"},
    "bulletin": {"tone"},
    "referral": set(),
}
STEP_FIELDS = {"reply": {"content"}, "minutes": {"attendees", "content", "commitments"},
               "report": {"content"}, "receipt": {"content"}, "outcome": {"content"}}
# audit actions: issuing a measure of each kind, and each step
ISSUE_ACTIONS = {"letter": "measure_letter", "interview": "measure_interview",
                 "bulletin": "measure_bulletin", "referral": "measure_referral"}
STEP_ACTIONS = {"reply": "measure_reply", "minutes": "measure_minutes",
                "report": "measure_report", "receipt": "measure_receipt",
                "outcome": "measure_outcome"}
TEXT_LIMITS = {"title": 200, "content": 5000, "interviewee_name": 60, "interviewee_post": 60,
               "interviewer": 200, "place": 200, "attendees": 1000, "commitments": 5000}
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$")


# --- input ----------------------------------------------------------------------------------
def _text(data: dict, name: str, label: str, *, required: bool = True,
          nullable: bool = False) -> str | None:
    value = data.get(name)
    if value is None and name in data and not nullable:
        raise InvalidInput(f"{label}（{name}）须为文本", field=name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"须填写{label}（{name}）", field=name)
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{label}（{name}）须为文本", field=name)
    if len(value) > TEXT_LIMITS.get(name, 5000):
        raise InvalidInput(f"{label}过长（最多 {TEXT_LIMITS.get(name, 5000)} 字）", field=name)
    return value.strip()


def _ids(data: dict, name: str, label: str) -> list[int]:
    if name not in data:
        return []
    value = data[name]
    if not isinstance(value, list) or any(isinstance(v, bool) or not isinstance(v, int)
                                          for v in value):
        raise InvalidInput(f"{label}（{name}）须为整数编号列表", field=name)
    return sorted({parse_id(v, name, label) for v in value})


def parse_time(value, name: str = "scheduled_at") -> datetime:
    """A local (Asia/Shanghai) date and time ``YYYY-MM-DDTHH:MM``."""
    if not isinstance(value, str) or not _TIME.match(value.strip()):
        raise InvalidInput(f"约谈时间（{name}）须为 YYYY-MM-DDTHH:MM", field=name)
    try:
        return datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        raise InvalidInput(f"约谈时间“{value[:20]}”不是有效时间", field=name) from None


def _local_now(now: datetime) -> datetime:
    return to_local(now).replace(tzinfo=None)


# --- issuing --------------------------------------------------------------------------------
def _record_on_cases(session: Session, measure: Measure, actor: User, action: str, *,
                     now: datetime, comment: str | None = None, extra: dict | None = None) -> None:
    """Append the act's event to the chain of every case the measure names (id order)."""
    payload = {"measure_id": measure.id, "kind": measure.kind, "doc_number": measure.doc_number,
               "status": measure.status, **(extra or {})}
    for case_id in sorted(c.id for c in measure.cases):
        # row lock (PostgreSQL; SQLite holds the write lock already), re-read chain head
        case = get_case(session, case_id, None, for_update=True)
        record(session, case, actor, action, comment=comment, payload=payload, now=now)


def doc_number(session: Session, code: str, year: int) -> str:
    """The next 文号 ``机关代字〔年份〕序号号`` of one 机关代字 and year (shared counter key with
    挂牌督办 when the 代字 is the same, so a number is never given twice)."""
    return f"{code}〔{year}〕{next_seq(session, f'文号:{code}:{year}')}号"


def create(session: Session, actor: User, data: dict, *, settings: MeasureSettings | None = None,
           calendar: WorkCalendar | None = None, now: datetime | None = None) -> Measure:
    """Issue a measure: a 督办函, 约谈通知, 通报 or 问责移交, with its 文号."""
    settings = settings or MeasureSettings()
    calendar = calendar or WorkCalendar()
    now = now or utcnow()
    kind = data.get("kind")
    if not is_choice(kind, KINDS):
        raise InvalidInput("kind 须为 letter（督办函）、interview（约谈）、bulletin（通报）或 "
                           "referral（问责移交）", field="kind")
    if refusal := policy.measure_issue_refusal(kind, actor):
        raise refusal
    refuse_unknown(data, COMMON_FIELDS | KIND_FIELDS[kind], f"{KINDS[kind]}不接受字段")
    dept_ids = _ids(data, "department_ids", "单位")
    case_ids = _ids(data, "case_ids", "事项")
    content = _text(data, "content", {"letter": "督办内容", "interview": "约谈事由",
                                      "bulletin": "通报内容", "referral": "移交事由"}[kind])
    details: dict = {}
    due_on = None
    today = local_today(now)
    if kind == "letter":
        days = data.get("reply_days", settings.letter_reply_days)
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 60:
            raise InvalidInput("反馈时限（reply_days）须为 1–60 个工作日", field="reply_days")
        details["reply_days"] = days
        due_on = calendar.add_working_days(today, days)
    elif kind == "interview":
        for name, label in (("interviewee_name", "被约谈人姓名"), ("interviewee_post", "被约谈人职务"),
                            ("interviewer", "约谈人"), ("place", "约谈地点")):
            details[name] = _text(data, name, label)
        details["scheduled_at"] = parse_time(data.get("scheduled_at")).isoformat(timespec="minutes")
        details["report_days"] = settings.report_days
    elif kind == "bulletin":
        tone = data.get("tone")
        if not is_choice(tone, TONES):
            raise InvalidInput("tone 须为 criticism（通报批评）或 commendation（通报表扬）",
                               field="tone")
        details["tone"] = tone
    elif kind == "referral" and len(case_ids) != 1:
        raise InvalidInput("问责移交须指定一件事项（case_ids）", field="case_ids")
    if kind != "referral" and not dept_ids and not case_ids:
        raise InvalidInput("须指定单位（department_ids）或事项（case_ids）", field="department_ids")

    # lock the cases first (id order), then take the number: one transaction, no gap
    cases = []
    for cid in case_ids:
        try:
            case = get_case(session, cid, actor, for_update=True)
        except NotFound:
            raise InvalidInput(f"事项 {cid} 不存在或无权查看", field="case_ids") from None
        if case.status in ("draft", "cancelled"):
            raise InvalidInput(f"事项 {case.display_number} 尚未交办或已撤销，不能列入督办措施",
                               field="case_ids")
        cases.append(case)
    depts = []
    for did in dept_ids:
        dept = session.get(Department, did)
        if dept is None or not dept.active:
            raise InvalidInput(f"单位 {did} 不存在或已停用", field="department_ids")
        depts.append(dept)
    for case in cases:  # the units responsible for the named cases are addressed too
        if case.department_id and all(d.id != case.department_id for d in depts):
            depts.append(case.department)
    if kind == "interview" and len(depts) != 1:
        raise InvalidInput("约谈对象须为一个单位（所列事项须属于该单位）", field="department_ids")
    title = _text(data, "title", "标题", required=False) or _default_title(kind, details, depts)
    measure = Measure(kind=kind, status=next(iter(STATUSES[kind])), title=title,
                      content=content, due_on=due_on, doc_date=today,
                      details_json=json.dumps(details, ensure_ascii=False, sort_keys=True),
                      created_by_id=actor.id, created_at=now, updated_at=now,
                      doc_number=doc_number(session, settings.codes[kind], today.year))
    measure.departments = sorted(depts, key=lambda d: d.id)
    measure.cases = cases
    session.add(measure)
    session.flush()
    action = ISSUE_ACTIONS[kind]
    _record_on_cases(session, measure, actor, action, now=now, comment=f"{measure.kind_label}（{measure.doc_number}）：{title}",
                     extra={"departments": [d.name for d in measure.departments],
                            "due_on": due_on.isoformat() if due_on else None})
    session.flush()
    _notify_issue(session, measure, actor, now)
    return measure


def _default_title(kind: str, details: dict, depts: list[Department]) -> str:
    units = "、".join(d.name for d in depts[:3]) + ("等单位" if len(depts) > 3 else "")
    if kind == "letter":
        return f"关于督促{units}加快问题隐患整改的督办函"
    if kind == "interview":
        return f"关于约谈{units}的通知"
    if kind == "bulletin":
        what = "批评" if details.get("tone") == "criticism" else "表扬"
        return f"关于对{units}予以通报{what}的通报"
    return "问责线索移交函"


def _notify_issue(session: Session, measure: Measure, actor: User, now: datetime) -> None:
    title = f"{measure.kind_label}（{measure.doc_number}）：{measure.title}"[:200]
    if measure.kind == "referral":
        who = role_user_ids(session, DISCIPLINE)
    else:
        who = [u for d in measure.departments for u in department_user_ids(session, d.id)]
    notify(session, who, "measure", title, measure.content[:500], skip=actor.id, now=now)


# --- steps ----------------------------------------------------------------------------------
def readable(measure: Measure, user: User) -> bool:
    return policy.can_read_measure(measure.kind, [d.id for d in measure.departments], user)


def get_measure(session: Session, measure_id: int, user: User, *, for_update: bool = False) -> Measure:
    stmt = select(Measure).where(Measure.id == measure_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    measure = session.scalar(stmt)
    if measure is None or not readable(measure, user):
        raise NotFound(f"督办措施 {measure_id} 不存在或无权查看")
    return measure


def scheduled_at(measure: Measure) -> datetime | None:
    value = measure.details.get("scheduled_at")
    return datetime.fromisoformat(value) if value else None


def add_step(session: Session, measure_id: int, actor: User, step, data: dict, *,
             files: list[tuple[bytes, str | None]] = (), settings: MeasureSettings | None = None,
             upload_settings: Settings | None = None, storage: Storage | None = None,
             calendar: WorkCalendar | None = None, now: datetime | None = None) -> MeasureStep:
    """The next step of a measure: 反馈, 纪要, 落实报告, 受理 or 处理结果."""
    settings = settings or MeasureSettings()
    calendar = calendar or WorkCalendar()
    now = now or utcnow()
    if not is_choice(step, STEP_FIELDS):
        raise InvalidInput("step 须为 reply、minutes、report、receipt 或 outcome", field="step")
    measure = get_measure(session, measure_id, actor, for_update=True)
    dept_ids = [d.id for d in measure.departments]
    if refusal := policy.measure_step_refusal(measure.kind, measure.status, dept_ids, step, actor):
        raise refusal
    refuse_unknown(data, STEP_FIELDS[step], f"“{policy.MEASURE_STEP_NAMES[step]}”不接受字段")
    if files and step not in ("reply", "report", "outcome"):
        raise InvalidInput(f"“{policy.MEASURE_STEP_NAMES[step]}”不附材料", field="file")
    values: dict = {}
    if step == "minutes":
        when = scheduled_at(measure)
        if when is not None and _local_now(now) < when:
            raise Conflict(f"约谈定于 {when:%Y-%m-%d %H:%M} 举行，尚未举行，不能先记录约谈纪要",
                           status=measure.status)
        values["attendees"] = _text(data, "attendees", "参加人员")
        values["commitments"] = _text(data, "commitments", "整改承诺")
        content = _text(data, "content", "约谈内容")
    elif step == "receipt":
        content = _text(data, "content", "受理意见", required=False, nullable=True) or "已受理"
    else:
        label = {"reply": "反馈内容", "report": "落实情况", "outcome": "处理结果"}[step]
        content = _text(data, "content", label)
    row = MeasureStep(measure_id=measure.id, step=step, content=content,
                      data_json=json.dumps(values, ensure_ascii=False, sort_keys=True),
                      actor_id=actor.id, department_id=actor.department_id, at=now)
    session.add(row)
    session.flush()
    upload_settings = upload_settings or Settings()
    for blob, name in files:
        fname, mime, digest = store_upload(blob, name, upload_settings, storage)
        session.add(MeasureAttachment(step_id=row.id, filename=fname, content_type=mime,
                                      size=len(blob), sha256=digest))
    measure.status = policy.MEASURE_STEP_FLOW[(measure.kind, step)][1]
    measure.updated_at = now
    if step == "minutes":
        held = (scheduled_at(measure) or _local_now(now)).date()
        measure.due_on = calendar.add_working_days(held, settings.report_days)
    session.flush()
    session.refresh(row)
    action = STEP_ACTIONS[step]
    _record_on_cases(session, measure, actor, action, now=now,
                     comment=f"{measure.doc_number}：{content[:2000]}", extra={
        "step": step, "attachments": sorted(a.sha256 for a in row.attachments),
        **({"report_due": measure.due_on.isoformat()} if step == "minutes" else {})})
    session.flush()
    _notify_step(session, measure, row, actor, now)
    return row


def _notify_step(session: Session, measure: Measure, row: MeasureStep, actor: User,
                 now: datetime) -> None:
    name = policy.MEASURE_STEP_NAMES[row.step]
    title = f"{measure.kind_label}（{measure.doc_number}）{name}"
    if row.step == "minutes":
        who = [u for d in measure.departments for u in department_user_ids(session, d.id)]
        body = f"请于 {measure.due_on.isoformat()} 前报送落实报告"
    else:
        who = [measure.created_by_id]
        body = row.content[:500]
    notify(session, who, "measure", title[:200], body, skip=actor.id, now=now)


# --- reading --------------------------------------------------------------------------------
def _visible(stmt, user: User):
    if user.role in policy.READ_ALL_ROLES:
        return stmt
    if user.role in policy.DEPARTMENT_ROLES and user.department_id is not None:
        mine = select(measure_departments.c.measure_id).where(
            measure_departments.c.department_id == user.department_id)
        return stmt.where(Measure.id.in_(mine), Measure.kind != "referral")
    return stmt.where(Measure.id.is_(None))


def list_measures(session: Session, user: User, *, kind: str | None = None,
                  status: str | None = None, limit: int = 500) -> list[Measure]:
    stmt = _visible(select(Measure), user)
    if kind:
        stmt = stmt.where(Measure.kind == kind)
    if status:
        stmt = stmt.where(Measure.status == status)
    return list(session.scalars(stmt.order_by(Measure.id.desc()).limit(limit)))


def overdue(session: Session, user: User, today: date) -> list[Measure]:
    """督办函 not answered and 落实报告 not filed past their due date (the home page's list)."""
    stmt = _visible(select(Measure), user).where(
        Measure.due_on < today,
        ((Measure.kind == "letter") & (Measure.status == "issued"))
        | ((Measure.kind == "interview") & (Measure.status == "held")))
    return list(session.scalars(stmt.order_by(Measure.due_on, Measure.id)))


def awaiting(session: Session, user: User) -> list[Measure]:
    """What a unit still owes: 督办函 to answer, 落实报告 to file (a department's home page)."""
    stmt = _visible(select(Measure), user).where(
        ((Measure.kind == "letter") & (Measure.status == "issued"))
        | ((Measure.kind == "interview") & (Measure.status.in_(("notified", "held")))))
    return list(session.scalars(stmt.order_by(Measure.due_on, Measure.id)))


def open_interviews_by_department(session: Session) -> dict[int, Measure]:
    """The latest 约谈 not yet closed by its 落实报告, per interviewed unit."""
    rows = session.execute(
        select(measure_departments.c.department_id, Measure)
        .join(Measure, Measure.id == measure_departments.c.measure_id)
        .where(Measure.kind == "interview", Measure.status.in_(("notified", "held")))
        .order_by(Measure.id)).all()
    return {dept_id: m for dept_id, m in rows}


def measures_of_case(session: Session, case: Case, user: User) -> list[Measure]:
    """The measures naming ``case`` that ``user`` may read (the case page's 督办措施 list)."""
    stmt = _visible(select(Measure), user).where(
        Measure.id.in_(select(measure_cases.c.measure_id).where(measure_cases.c.case_id == case.id)))
    return list(session.scalars(stmt.order_by(Measure.id)))


def cases_of(session: Session, case_ids) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.id.in_(list(case_ids))).order_by(Case.id)))
