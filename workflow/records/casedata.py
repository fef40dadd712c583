"""What the printed records say about a case: 台账 fields, timeline, evidence."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core.audit import AuditEvent
from workflow.core.cases import ONSITE_PURPOSES, Case, OnsiteVerification
from workflow.core.evidence import Evidence, Storage
from workflow.core.images import ImageLimits, rendition
from workflow.core.rules import RESUMPTION_REVIEW_DAYS, resumption_application_date
from workflow.org.models import Department
from workflow.org.names import person_label, usernames
from workflow.org.roles import ROLE_LABELS
from workflow.platform.masking import mask_contact, mask_name
from workflow.platform.vocab import (
    ACTION_LABELS,
    GRADES,
    KINDS,
    PLAN_ELEMENTS,
    REPLY_CHANNELS,
    source_label,
)
from workflow.platform.wording import action_labels
from workflow.records.render import format_cn_date, jpeg_data_uri

DEFAULT_ISSUER = "常州市武进区安全生产委员会办公室"
CANCEL_LABELS = {"duplicate": "重复登记", "error": "误登记", "other": "其他",
                 "not_accepted": "不予受理（举报）"}


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1048576:.1f} MB"


def deadline_text(case: Case) -> str:
    text = format_cn_date(case.deadline)
    if case.original_deadline and case.deadline and case.original_deadline != case.deadline:
        text += f"（原期限 {format_cn_date(case.original_deadline)}）"
    if case.deadline_working_days:
        text += f"（{case.deadline_working_days} 个工作日）"
    if case.long_term:  # 长期坚持 (alone, or after a 立行立改 deadline)
        text = f"{text}并长期坚持" if text else "长期坚持"
    return text


def source_with_reporter(case: Case) -> str:
    """The source, with the reporter of a 举报 masked (printed records never show it whole)."""
    text = source_label(case.source)
    if case.is_complaint and case.has_reporter:
        who = " ".join(x for x in (mask_name(case.reporter_name),
                                   mask_contact(case.reporter_contact)) if x)
        text += f"（举报人 {who}）"
    return text


def case_fields(case: Case) -> list[tuple[str, str]]:
    """The 台账 fields of domain brief §5 as (label, text), empty ones kept as blanks."""
    person = " ".join(x for x in (case.responsible_person, case.responsible_phone) if x)
    unit = case.responsible_unit or ""
    if case.credit_code:
        unit += f"（统一社会信用代码 {case.credit_code}）"
    return [
        ("编号", case.display_number + (f"（原编号 {case.original_number}）"
                                         if case.original_number else "")),
        ("类别", KINDS.get(case.kind, case.kind or "")),
        ("问题来源", source_with_reporter(case)),
        ("隐患等级", GRADES.get(case.grade, case.grade or "")),
        ("发现时间", format_cn_date(case.found_on)),
        ("发现人/检查组", case.found_by or ""),
        ("所属行业领域", case.industry or ""),
        ("属地", case.town or ""),
        ("责任主体", unit),
        ("地点", case.location or ""),
        ("责任部门", case.department.name if case.department else ""),
        ("配合部门", "、".join(d.name for d in case.co_departments)),
        ("整改责任人/电话", person),
        ("整改期限", deadline_text(case)),
        ("整改资金(万元)", "" if case.funds is None else f"{case.funds}"),
        ("是否停产", "是" if case.suspended else "否"),
        *([("停产停业情况", case.shutdown_label)] if (case.shutdown or "none") != "none" else []),
        ("办理状态", case.status_label),
        ("销号时间", format_cn_date(case.closed_at)),
    ]


def case_texts(case: Case) -> list[tuple[str, str]]:
    """Long free-text fields printed across the full width."""
    texts = [("问题名称", case.title or ""), ("问题描述", case.description or ""),
             ("判定依据", case.basis or ""), ("整改措施/要求", case.measures_required or "")]
    if case.is_dismissed:
        texts.append(("核实情况（经核实不属实）", case.dismissal_record or ""))
    return texts


def plan_rows(case: Case) -> list[tuple[str, str]]:
    plan = case.plan
    return [(label, plan.get(key) or "") for key, label in PLAN_ELEMENTS.items()] if plan else []


def events_of(session: Session, case: Case) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                                .order_by(AuditEvent.seq)))


def last_event_at(events: list[AuditEvent], case: Case) -> datetime:
    """The instant a record of this case state is dated: its last audit event."""
    return events[-1].at if events else case.created_at


def _department_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Department.id, Department.name)).all())


def _cn_day(value) -> str:
    """An ISO date from an event payload written 2020年3月5日 (other text as it is)."""
    if not value:
        return ""
    try:
        return format_cn_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def event_detail(ev: AuditEvent, departments: dict[int, str]) -> str:
    """The comment of an event, with what its payload adds for a reader."""
    payload = ev.payload
    parts = []
    if ev.action == "evidence" and payload.get("filename"):
        parts.append(f"文件：{payload['filename']}")
    elif ev.action == "transfer":
        parts.append(f"转至：{departments.get(payload.get('to_department_id'), '')}")
    elif ev.action == "register" and payload.get("number"):
        deadline = _cn_day(payload.get("deadline")) or ("长期坚持" if payload.get("long_term") else "")
        if deadline and payload.get("long_term") and payload.get("deadline"):
            deadline += "并长期坚持"
        parts.append(f"编号 {payload['number']}，期限 {deadline}")
    elif ev.action == "cancel":
        parts.append(f"原因：{CANCEL_LABELS.get(payload.get('cancel_reason'), '')}")
    elif ev.action == "dismiss" and payload.get("verification_record"):
        parts.append(f"核实情况：{payload['verification_record']}")
    elif ev.action == "complaint_reply":
        parts.append(f"{REPLY_CHANNELS.get(payload.get('channel'), '')}答复"
                     f"（{_cn_day(payload.get('replied_on'))}）：{payload.get('content', '')}")
    elif ev.action in ("reward_proposed", "reward_decision"):
        parts.append(f"奖励金额 {payload.get('amount', '')} 元")
    elif ev.action in ("onsite_verification", "resumption_review"):
        parts.append(f"核查人：{'、'.join(payload.get('verifiers') or [])}")
    if ev.comment:
        parts.append(ev.comment)
    return "；".join(p for p in parts if p)


@dataclass
class TimelineRow:
    seq: int
    at: datetime
    actor: str
    role: str
    department: str
    action: str
    detail: str
    actor_username: str = ""
    actor_id: int | None = None

    @property
    def actor_label(self) -> str:
        """The display name with user name and id beside it (the system has neither)."""
        if self.actor_id is None:
            return self.actor
        return f"{self.actor}（{self.actor_username or '已删除'}，id {self.actor_id}）"


def timeline(session: Session, events: list[AuditEvent], kind: str | None = None) -> list[TimelineRow]:
    departments = _department_names(session)
    names = usernames(session, (ev.actor_id for ev in events))
    labels = action_labels(kind) if kind else ACTION_LABELS
    return [TimelineRow(ev.seq, ev.at, ev.actor_name, ROLE_LABELS.get(ev.actor_role, ev.actor_role),
                        ev.actor_department or "", labels.get(ev.action, ev.action),
                        event_detail(ev, departments), names.get(ev.actor_id, ""), ev.actor_id)
            for ev in events]


@dataclass
class EvidenceRow:
    index: int
    filename: str
    type_label: str
    category: str
    size: str
    sha256: str
    uploader: str
    uploaded_at: datetime
    round: int
    thumbnail: str | None
    missing: bool


def evidence_rows(session: Session, case: Case, storage: Storage | None) -> list[EvidenceRow]:
    """The evidence index, with each photo's print rendition (made at upload) from ``storage``.

    The original is never decoded here; a file stored before renditions existed gets them
    made once (after the header check) and kept.
    """
    rows = []
    files = session.scalars(select(Evidence).where(Evidence.case_id == case.id)
                            .order_by(Evidence.round, Evidence.id)).all()
    for i, ev in enumerate(files, 1):
        thumb, missing = None, False
        if ev.is_image and storage is not None:
            if not storage.path_for(ev.sha256).exists():
                missing = True
            elif (blob := rendition(storage, ev.sha256, "print", ImageLimits())) is not None:
                thumb = jpeg_data_uri(blob)
        rows.append(EvidenceRow(i, ev.filename, ev.type_label, ev.category_label, human_size(ev.size),
                                ev.sha256, person_label(ev.uploaded_by),
                                ev.uploaded_at, ev.round, thumb, missing))
    return rows


def onsite_records(session: Session, case: Case) -> list[OnsiteVerification]:
    return list(session.scalars(select(OnsiteVerification)
                                .where(OnsiteVerification.case_id == case.id)
                                .order_by(OnsiteVerification.id)))


@dataclass
class OnsiteRow:
    """A 现场核查 or a 复产现场审查 as printed: its purpose, people with posts, and for a
    review where it falls against the 复产申请 (16号令第二十三条: within 10 days)."""
    label: str
    round: int
    visited_on: date
    people_label: str
    verifiers: list[str]
    findings: str
    timing: str


def onsite_rows(session: Session, case: Case) -> list[OnsiteRow]:
    applied = resumption_application_date(session, case)
    rows = []
    for rec in onsite_records(session, case):
        purpose = rec.purpose or "verification"
        timing = ""
        if purpose == "resumption_review":
            if applied is None:
                timing = "尚无复产申请"
            elif (days := (rec.visited_on - applied).days) < 0:
                timing = f"早于复产申请（{format_cn_date(applied)}），不作为复产审查"
            else:
                timing = f"复产申请（{format_cn_date(applied)}）后第 {days} 日"
                if days > RESUMPTION_REVIEW_DAYS:
                    timing += f"，超过 {RESUMPTION_REVIEW_DAYS} 日"
        rows.append(OnsiteRow(ONSITE_PURPOSES.get(purpose, purpose), rec.round, rec.visited_on,
                              "审查人员" if purpose == "resumption_review" else "核查人员",
                              rec.verifiers, rec.findings, timing))
    return rows


def major_rows(session: Session, case: Case) -> list[tuple[str, str]]:
    """The 治理方案签批件 and the 复产申请 of a 重大事故隐患, as (label, text)."""
    if not (case.is_major or case.plan_json):
        return []
    signed = session.scalars(select(Evidence).where(
        Evidence.case_id == case.id, Evidence.category == "signed_plan")
        .order_by(Evidence.id)).all()
    rows = [("治理方案签批件", "、".join(f"{ev.filename}（{format_cn_date(ev.uploaded_at)}上传）"
                                   for ev in signed) or "未上传")]
    if (case.shutdown or "none") != "none":
        applied = resumption_application_date(session, case)
        rows.append(("复产申请", f"{format_cn_date(applied)}提交" if applied else "未提交"))
    return rows


def first_event(events: list[AuditEvent], action: str) -> AuditEvent | None:
    return next((ev for ev in events if ev.action == action), None)


def last_of(events: list[AuditEvent], action: str) -> AuditEvent | None:
    return next((ev for ev in reversed(events) if ev.action == action), None)
