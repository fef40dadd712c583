"""Forms of the problem loop and the task target on the case page.

进展报告, 延期申请/审批, 职责异议 and its decision, 催办/督办/约谈, 挂牌督办/摘牌,
回头看 and the director's reopen confirmation, target occurrences and target edits.
Each handler: load (404) → call the workflow function (it checks role and scope, 403)
→ commit once → flash and redirect; a refusal re-renders the case page with the
message beside the field and the input kept, with the domain error's status.
"""
from __future__ import annotations

from typing import Callable

from flask import current_app, flash, redirect, render_template, request, url_for

from blueprints.extensions import db, settings
from blueprints.web import ID, actor, bp
from blueprints.web.case_page import refused
from workflow.core import service
from workflow.core.cases import Case
from workflow.platform.errors import DomainError, InvalidInput, NotFound
from workflow.platform.parsing import parse_date, parse_id
from workflow.problems import disputes, extensions, listings, lookback, progress, supervision
from workflow.tasklist import reporting
from workflow.tasklist.models import item_of_case
from workflow.tasklist.occurrences import record_occurrence, set_target


def _attempt(case_id: int, form: str, fields: tuple, work: Callable[[], str], anchor: str):
    """Run ``work`` (returns the flash message), commit, redirect; or re-render the refusal."""
    try:
        message = work()
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(case_id, exc, form, fields)
    flash(message)
    return redirect(url_for("pages.case_view", case_id=case_id) + f"#{anchor}")


def _text(name: str) -> str:
    return (request.form.get(name) or "").strip()


def _optional_date(name: str):
    raw = _text(name)
    return parse_date(raw, name) if raw else None


def _required_date(name: str, label: str):
    raw = _text(name)
    if not raw:
        raise InvalidInput(f"须填写{label}", field=name)
    return parse_date(raw, name)


def _optional_int(name: str, label: str, low: int, high: int) -> int | None:
    raw = _text(name)
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"{label}须为 {low}–{high} 的整数", field=name)
    return int(raw)


def _choice(name: str, choices: dict) -> str:
    value = _text(name)
    if value not in choices:
        raise InvalidInput("请选择" + "或".join(choices.values()), field=name)
    return value


def _readable(row, what: str, row_id: int):
    """A row hanging off a case, or 404 when missing or its case is not the user's to read."""
    if row is None or not row.case.can_view(actor()):
        raise NotFound(f"{what} {row_id} 不存在")
    return row


# --- 进展报告 ------------------------------------------------------------------------------
@bp.post(f"/cases/<{ID}:case_id>/progress")
def case_progress(case_id: int):
    def work():
        percent = _optional_int("percent", "完成比例", 0, 100)
        case = service.get_case(db.session, case_id, actor())
        if case.kind == "task":
            ids = [parse_id(v, "evidence_ids") for v in request.form.getlist("evidence_ids")]
            _, report = reporting.file_progress(
                db.session, case_id, actor(), text=request.form.get("text") or "",
                percent=percent, count=_optional_int("count", "已开展次数", 0, 9999),
                evidence_ids=ids)
            late = "" if report.on_time else "（已超过报送日，计为逾时报送）"
            return f"{report.to_dict()['period_label']}工作进展已报送{late}"
        progress.add_progress(db.session, case_id, actor(), text=request.form.get("text") or "",
                              percent=percent)
        return "进展报告已提交"
    return _attempt(case_id, "progress", ("text", "percent", "count", "evidence_ids"), work,
                    "panel-progress")


# --- 延期申请 / 审批 -------------------------------------------------------------------------
@bp.post(f"/cases/<{ID}:case_id>/extensions")
def case_extension(case_id: int):
    def work():
        new_deadline = _required_date("new_deadline", "延期后的整改期限")
        ext = extensions.request_extension(
            db.session, case_id, actor(), reason=request.form.get("reason") or "",
            interim_measures=request.form.get("interim_measures") or "", new_deadline=new_deadline)
        return f"延期申请已提交（申请延期至 {ext.new_deadline.isoformat()}），等待审批"
    return _attempt(case_id, "extension", ("reason", "interim_measures", "new_deadline"), work,
                    "panel-extensions")


@bp.post(f"/extensions/<{ID}:extension_id>/decision")
def extension_decision(extension_id: int):
    ext = extensions.get_extension(db.session, extension_id, actor())  # 404

    def work():
        decision = _choice("decision", {"approve": "批准", "reject": "不予批准"})
        row = extensions.decide_extension(db.session, extension_id, actor(),
                                         approve=decision == "approve",
                                         comment=request.form.get("comment"))
        if row.status == "approved":
            return f"已批准延期，整改期限调整为 {row.new_deadline.isoformat()}"
        return "已作出不予批准延期的决定"
    return _attempt(ext.case_id, "extension-decision", ("decision", "comment"), work,
                    "panel-extensions")


# --- 管辖异议 --------------------------------------------------------------------------------
@bp.post(f"/cases/<{ID}:case_id>/dispute")
def case_dispute(case_id: int):
    def work():
        raw = _text("suggested_department_id")
        disputes.raise_dispute(db.session, case_id, actor(), reason=request.form.get("reason") or "",
                               suggested_department_id=parse_id(raw, "suggested_department_id")
                               if raw else None)
        return "职责异议已提交，等待区安委办处理"
    return _attempt(case_id, "dispute", ("reason", "suggested_department_id"), work,
                    "panel-disputes")


@bp.post(f"/disputes/<{ID}:dispute_id>/decision")
def dispute_decision(dispute_id: int):
    row = _readable(db.session.get(disputes.Dispute, dispute_id), "职责异议", dispute_id)
    case_id = row.case_id

    def work():
        decision = _choice("decision", {"transfer": "转办", "refuse": "异议不成立"})
        raw = _text("department_id")
        decided = disputes.decide_dispute(
            db.session, dispute_id, actor(), decision=decision, comment=request.form.get("reason"),
            department_id=parse_id(raw, "department_id") if raw and decision == "transfer"
            else None, settings=settings())
        if decided.status == "transferred":
            case = db.session.get(Case, case_id)
            return f"已转办至{case.department.name}，职责异议办结"
        return "已答复：职责异议不成立"
    return _attempt(case_id, "dispute-decision", ("decision", "department_id", "reason"), work,
                    "panel-disputes")


# --- 催办 / 督办 / 约谈, 挂牌督办 / 摘牌 ------------------------------------------------------
@bp.post(f"/cases/<{ID}:case_id>/supervision")
def case_supervision(case_id: int):
    def work():
        kind = _text("action")
        supervision.manual_alert(db.session, case_id, actor(), kind, request.form.get("comment"))
        return f"已{supervision.ALERT_KINDS[kind][0]}，责任部门已收到通知"
    return _attempt(case_id, "supervision", ("action", "comment"), work, "panel-supervision")


@bp.post(f"/cases/<{ID}:case_id>/listing")
def case_listing(case_id: int):
    def work():
        action = _text("action")
        row = supervision.set_listing(
            db.session, case_id, actor(), action=action,
            document_number=request.form.get("document_number") or "",
            document_date=_optional_date("document_date"),
            due_on=_optional_date("due_on") if action == "list" else None,
            comment=request.form.get("comment"))
        return f"已{row.to_dict()['action_label']}（{row.document_number}）"
    return _attempt(case_id, "listing", ("action", "document_number", "document_date", "due_on",
                                         "comment"), work, "panel-supervision")


@bp.post(f"/cases/<{ID}:case_id>/listing/proposal")
def case_listing_proposal(case_id: int):
    def work():
        action = _text("action") or "list"
        req = listings.propose(db.session, case_id, actor(), action=action,
                               level=_text("level") or None if action == "list" else None,
                               reasons=request.form.get("reasons") or "",
                               due_on=_optional_date("deadline") if action == "list" else None)
        return f"已提请区领导审批{req.to_dict()['action_label']}"
    return _attempt(case_id, "listing-proposal", ("action", "level", "reasons", "deadline"), work,
                    "panel-supervision")


@bp.post(f"/cases/<{ID}:case_id>/listing/decision")
def case_listing_decision(case_id: int):
    def work():
        choice = _text("approve")
        if choice not in ("1", "0"):
            raise InvalidInput("请选择同意或不同意", field="approve")
        req = listings.decide(db.session, case_id, actor(), approve=choice == "1",
                              comment=request.form.get("comment"),
                              issuer_code=current_app.config["LISTING_ISSUER_CODE"])
        return f"{req.to_dict()['action_label']}提请：{req.to_dict()['status_label']}"
    return _attempt(case_id, "listing-decision", ("approve", "comment"), work, "panel-supervision")


@bp.get("/listings")
def listing_board():
    """公示: the current 挂牌督办 items, read-only, for every signed-in user."""
    return render_template("pages/listings.html", items=listings.public_board(db.session))


# --- 回头看 ----------------------------------------------------------------------------------
@bp.post(f"/cases/<{ID}:case_id>/lookback")
def case_lookback(case_id: int):
    def work():
        result = _choice("result", {"passed": "整改成效巩固", "failed": "问题反弹"})
        row = lookback.record_lookback(db.session, case_id, actor(), result=result,
                                       comment=request.form.get("comment"), settings=settings())
        if row.state == "reopen_pending":
            return "回头看已记录：问题反弹，待区安委办主任确认重新整改"
        if row.state == "reopened":
            return "回头看已记录：问题反弹，事项已重新整改"
        return "回头看已记录：整改成效巩固"
    return _attempt(case_id, "lookback", ("result", "comment"), work, "panel-lookback")


@bp.post(f"/lookbacks/<{ID}:lookback_id>/reopen")
def lookback_reopen(lookback_id: int):
    row = _readable(db.session.get(lookback.LookBack, lookback_id), "回头看记录", lookback_id)

    def work():
        lookback.confirm_reopen(db.session, lookback_id, actor(), settings=settings())
        return "已确认回头看结论，事项重新整改"
    return _attempt(row.case_id, "reopen", (), work, "panel-lookback")


# --- 目标任务：完成情况与量化目标 -------------------------------------------------------------
@bp.post(f"/cases/<{ID}:case_id>/occurrences")
def case_occurrence(case_id: int):
    def work():
        occurred_on = _required_date("occurred_on", "开展日期")
        ids = [parse_id(v, "evidence_ids") for v in request.form.getlist("evidence_ids") if v]
        _, done = record_occurrence(db.session, case_id, actor(), occurred_on=occurred_on,
                                    note=request.form.get("note") or "", evidence_ids=ids)
        return f"已登记完成情况，进度 {done}"
    return _attempt(case_id, "occurrence", ("occurred_on", "note", "evidence_ids"), work,
                    "panel-target")


@bp.post(f"/cases/<{ID}:case_id>/target")
def case_target(case_id: int):
    def work():
        service.get_case(db.session, case_id, actor())  # 404 for a case the user cannot read
        item = item_of_case(db.session, case_id)
        if item is None:
            raise NotFound("该事项不是目标任务清单的任务")
        count = _optional_int("target_count", "目标次数", 1, 999)
        period = _optional_int("target_period", "目标周期", 1, 10)
        item = set_target(db.session, item.id, actor(), target_count=count, period_years=period)
        return (f"量化目标已改为{item.target_period_label}" if item.target_count
                else "已取消量化目标")
    return _attempt(case_id, "target", ("target_count", "target_period"), work, "panel-target")
