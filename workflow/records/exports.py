"""Batch exports: the closure reports of a department and period in one zip (auditors), and
the 台账 workbook of a whole register (anyone, of the cases they may see).

A request creates an ``ExportJob`` (queued) and commits; a worker (an RQ
worker process, or a thread of the web process) then calls ``run_export`` with
a session of its own. ``run_export`` is the worker-level entry point: it
commits its progress itself so a page can show it while the job runs.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.core.cases import Case, visible_cases_filter
from workflow.core.evidence import Storage
from workflow.core.policy import export_refusal
from workflow.core.queries import filtered_cases
from workflow.org.models import Department, User
from workflow.platform.base import Base, iso_utc, to_local, utcnow
from workflow.platform.celltext import csv_text
from workflow.platform.db import reset_read_only, set_read_only
from workflow.platform.errors import InvalidInput, NotFound, refuse_unknown
from workflow.platform.parsing import parse_date, parse_id
from workflow.platform.vocab import is_choice
from workflow.records.casedata import DEFAULT_ISSUER
from workflow.records.closure import prepare_closure_report
from workflow.records.ledger import in_period
from workflow.records.ledger_xlsx import write_ledger_to
from workflow.records.render_cache import RenderCache

log = logging.getLogger(__name__)

STATUSES = {"queued": "排队中", "running": "生成中", "done": "已完成", "failed": "失败"}
# closed: cases closed (销号) in the period; registered: every case registered in it
SCOPES = {"closed": "销号日期", "registered": "挂号日期"}
MAX_SPAN_DAYS = 3 * 366


class ExportJob(Base):
    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    params_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    file_path: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)

    requested_by: Mapped[User] = relationship()

    @property
    def params(self) -> dict:
        return json.loads(self.params_json)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def kind(self) -> str:
        """``closure``: a zip of closure reports; ``ledger``: the 台账 workbook (xlsx)."""
        return self.params.get("kind") or "closure"

    @property
    def description(self) -> str:
        p = self.params
        if self.kind == "ledger":
            shown = "，".join(f"{k}={v}" for k, v in sorted(p["filters"].items()) if v)
            return f"台账 Excel · {shown or '全部可见事项'}"
        return f"{p.get('department_name') or '全部部门'} · {SCOPES[p['scope']]} {p['from']} 至 {p['to']}"

    def can_view(self, user: User) -> bool:
        """Only the requester reads a job and its file."""
        return user.id == self.requested_by_id

    def to_dict(self) -> dict:
        return {"id": self.id, "status": self.status, "status_label": self.status_label,
                "total": self.total, "done": self.done,
                "percent": int(self.done * 100 / self.total) if self.total else (
                    100 if self.status == "done" else 0),
                "kind": self.kind, "params": self.params, "description": self.description,
                "error": self.error,
                "created_at": iso_utc(self.created_at), "started_at": iso_utc(self.started_at),
                "finished_at": iso_utc(self.finished_at),
                "file": f"/api/v1/exports/{self.id}/file" if self.status == "done" else None}


def require_export_role(user: User) -> None:
    if refusal := export_refusal(user):
        raise refusal


def parse_params(session: Session, data: dict) -> dict:
    """Validate export parameters: department_id (optional), from, to, scope."""
    refuse_unknown(data, {"department_id", "from", "to", "scope"})
    for name in ("from", "to"):
        if data.get(name) in (None, ""):
            raise InvalidInput(f"缺少{'起始' if name == 'from' else '截止'}日期 {name}", field=name)
    date_from, date_to = parse_date(data["from"], "from"), parse_date(data["to"], "to")
    if date_from > date_to:
        raise InvalidInput("起始日期不能晚于截止日期", field="from")
    if (date_to - date_from).days > MAX_SPAN_DAYS:
        raise InvalidInput("导出期间最长 3 年", field="to")
    scope = data.get("scope")
    if scope in (None, ""):
        scope = "closed"
    if not isinstance(scope, str) or not is_choice(scope, SCOPES):
        raise InvalidInput(f"scope 须为：{', '.join(SCOPES)}", field="scope")
    department = None
    if data.get("department_id") not in (None, ""):
        department = session.get(Department, parse_id(data["department_id"], "department_id"))
        if department is None:
            raise InvalidInput("部门不存在", field="department_id")
    return {"department_id": department.id if department else None,
            "department_name": department.name if department else None,
            "from": date_from.isoformat(), "to": date_to.isoformat(), "scope": scope}


def create_export(session: Session, actor: User, data: dict) -> ExportJob:
    """Queue an export job for ``actor`` (flushes; the caller commits, then enqueues)."""
    require_export_role(actor)
    job = ExportJob(requested_by_id=actor.id, status="queued",
                    params_json=json.dumps(parse_params(session, data), ensure_ascii=False,
                                           sort_keys=True))
    session.add(job)
    session.flush()
    return job


def create_ledger_export(session: Session, actor: User, filters: dict) -> ExportJob:
    """Queue the 台账 workbook of the cases ``actor`` may see matching the list ``filters``
    (those of the case list, as typed in a query string): a whole register is written by a
    worker, streaming, with its progress on the job (flushes; the caller commits, then
    enqueues)."""
    filters = {k: str(v) for k, v in filters.items()}
    filtered_cases(actor, filters)  # the same 400s as the list for a bad filter, now
    job = ExportJob(requested_by_id=actor.id, status="queued",
                    params_json=json.dumps({"kind": "ledger", "filters": filters},
                                           ensure_ascii=False, sort_keys=True))
    session.add(job)
    session.flush()
    return job


def _run_ledger(session: Session, job: ExportJob, out_dir: Path) -> Path:
    """Write the job's ledger workbook to ``out_dir``; the count of rows is the total and the
    rows written so far are ``done``, committed every 5,000 rows by a short transaction of
    their own while the export's read goes on."""
    stmt = filtered_cases(job.requested_by, job.params["filters"])
    job.total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    session.commit()
    job_id, engine = job.id, session.get_bind()
    final = out_dir / f"export-{job_id}.xlsx"
    part = out_dir / f".export-{job_id}.xlsx.part"

    def progress(done: int) -> None:
        token = set_read_only(False)
        try:
            with engine.begin() as conn:
                conn.execute(update(ExportJob).where(ExportJob.id == job_id).values(done=done))
        finally:
            reset_read_only(token)

    token = set_read_only(True)  # SQLite: the long read holds no write lock, progress gets in
    try:
        with open(part, "wb") as out:
            write_ledger_to(out, session, stmt.whereclause, progress=progress)
        session.rollback()  # end the read
    finally:
        reset_read_only(token)
    os.replace(part, final)
    return final


def get_job(session: Session, job_id: int, user: User) -> ExportJob:
    job = session.get(ExportJob, job_id)
    if job is None or not job.can_view(user):
        raise NotFound(f"导出任务 {job_id} 不存在或无权查看")
    return job


def export_case_ids(session: Session, job: ExportJob) -> list[int]:
    p = job.params
    stmt = select(Case.id)
    scope = visible_cases_filter(job.requested_by)
    if scope is not None:
        stmt = stmt.where(scope)
    if p["department_id"]:
        stmt = stmt.where(Case.department_id == p["department_id"])
    column = Case.closed_at if p["scope"] == "closed" else Case.registered_at
    if p["scope"] == "closed":
        stmt = stmt.where(Case.status == "closed")
    stmt = in_period(stmt, date.fromisoformat(p["from"]), date.fromisoformat(p["to"]), column)
    return list(session.scalars(stmt.order_by(Case.number, Case.id)))


def _entry_name(case: Case, used: set[str]) -> str:
    name = re.sub(r"[^\w\-]", "_", case.display_number) + ".pdf"
    if name in used:
        name = f"{case.id}-{name}"
    used.add(name)
    return name


def _zip_time(value: datetime | None) -> tuple:
    # Zip entries carry local times; fixed per case state so a re-export matches.
    local = to_local(value) if value else datetime(1980, 1, 1)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute, local.second)


def run_export(session: Session, job_id: int, *, storage: Storage, export_dir: str | os.PathLike,
               issuer: str = DEFAULT_ISSUER, cache: RenderCache | None = None) -> ExportJob:
    """Render every closure report of the job into a zip; commit progress as it goes (a record
    rendered before, for a download or an earlier export, is read back from ``cache``)."""
    # Take the job atomically: a job enqueued twice is run once.
    taken = session.execute(update(ExportJob).where(ExportJob.id == job_id,
                                                    ExportJob.status == "queued")
                            .values(status="running", started_at=utcnow())).rowcount
    session.commit()
    job = session.get(ExportJob, job_id)
    if not taken:
        return job
    out_dir = Path(export_dir)
    final = out_dir / f"export-{job.id}.zip"
    part = out_dir / f".export-{job.id}.zip.part"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if job.kind == "ledger":
            part = out_dir / f".export-{job.id}.xlsx.part"
            final = _run_ledger(session, job, out_dir)
            job = session.get(ExportJob, job_id)
            job.done = job.total
            job.file_path, job.status, job.finished_at = str(final), "done", utcnow()
            session.commit()
            return job
        ids = export_case_ids(session, job)
        job.total = len(ids)
        session.commit()
        manifest = io.StringIO()
        writer = csv.writer(manifest)
        writer.writerow(["编号", "问题名称", "责任部门", "状态", "销号日期", "审计链序号",
                         "审计链头 SHA-256", "文件", "文件 SHA-256"])
        used: set[str] = set()
        with zipfile.ZipFile(part, "w", zipfile.ZIP_STORED) as zf:
            for case_id in ids:
                case = session.get(Case, case_id)
                render = prepare_closure_report(session, case, storage=storage, issuer=issuer,
                                                cache=cache)
                name = _entry_name(case, used)
                row = [case.display_number, case.title,
                       case.department.name if case.department else "", case.status_label,
                       to_local(case.closed_at).date().isoformat() if case.closed_at else "",
                       case.audit_seq, case.audit_head or "", name]
                stamp_time = _zip_time(case.closed_at or case.registered_at)
                session.commit()  # release the database while rendering
                pdf = render()
                zf.writestr(zipfile.ZipInfo(name, stamp_time), pdf)
                # user text (title, department) must not open as a formula in Excel
                writer.writerow([csv_text(v) for v in row] + [hashlib.sha256(pdf).hexdigest()])
                job.done += 1
                session.commit()
                session.expunge_all()  # thousands of cases: keep the identity map small
                job = session.get(ExportJob, job_id)
            zf.writestr(zipfile.ZipInfo("清单.csv", (1980, 1, 1, 0, 0, 0)),
                        "\ufeff" + manifest.getvalue())
        os.replace(part, final)
        job.file_path, job.status, job.finished_at = str(final), "done", utcnow()
        session.commit()
    except Exception as exc:  # a job never dies silently: the page shows why
        log.exception("export job %s failed", job_id)
        session.rollback()
        try:
            part.unlink(missing_ok=True)
        except OSError:
            pass
        job = session.get(ExportJob, job_id)
        job.status, job.finished_at = "failed", utcnow()
        job.error = f"导出失败：{type(exc).__name__}: {exc}"[:2000]
        session.commit()
    return job
