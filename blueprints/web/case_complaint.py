"""监督举报 forms on the case page: reveal the reporter, 核实材料, 答复, 奖励 and its approval.

The same workflow functions as ``/api/v1`` (``workflow.problems.complaints``). A reveal
is a POST: it writes ``reporter_viewed`` to the chain and answers with the case page
showing the reporter, never with a redirect (the name would otherwise travel in the
session cookie's flash).
"""
from __future__ import annotations

from flask import current_app, request

from blueprints.extensions import db, settings, storage
from blueprints.web import ID, actor, bp
from blueprints.web.case_extras import _attempt
from blueprints.web.case_page import refused, render_case
from workflow.core import service
from workflow.core.complaints import ComplaintReward
from workflow.platform.errors import DomainError, InvalidInput, NotFound
from workflow.platform.parsing import parse_date
from workflow.problems import complaints


@bp.post(f"/cases/<{ID}:case_id>/reporter")
def case_reveal_reporter(case_id: int):
    try:
        revealed = complaints.reveal_reporter(db.session, case_id, actor())
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(case_id, exc, "complaint-reveal")
    case = service.get_case(db.session, case_id, actor())
    return render_case(case, reporter=revealed)


@bp.post(f"/cases/<{ID}:case_id>/verification-evidence")
def case_verification_evidence(case_id: int):
    files = [f for f in request.files.getlist("files") if f and f.filename]
    note = (request.form.get("note") or "").strip() or None

    def work():
        if not files:
            raise InvalidInput("请选择要上传的核实材料", field="files")
        limit = current_app.config["MAX_UPLOAD_BYTES"]
        for upload in files:
            complaints.upload_verification_file(
                db.session, case_id, actor(), data=upload.read(limit + 1),
                filename=upload.filename, note=note, settings=settings(), storage=storage())
        return f"已上传核实材料 {len(files)} 份"
    return _attempt(case_id, "complaint-evidence", ("files", "note"), work, "complaint")


@bp.post(f"/cases/<{ID}:case_id>/reply")
def case_reply(case_id: int):
    form = request.form

    def work():
        if not (form.get("replied_on") or "").strip():
            raise InvalidInput("须填写答复日期", field="replied_on")
        complaints.add_reply(db.session, case_id, actor(),
                             replied_on=parse_date(form["replied_on"], "replied_on"),
                             channel=form.get("channel") or "", content=form.get("content") or "")
        return "已记录答复举报人"
    return _attempt(case_id, "complaint-reply", ("replied_on", "channel", "content"), work,
                    "complaint")


@bp.post(f"/cases/<{ID}:case_id>/rewards")
def case_reward(case_id: int):
    form = request.form

    def work():
        complaints.propose_reward(db.session, case_id, actor(), amount=form.get("amount"),
                                  reason=form.get("reason") or "")
        return "已申报举报奖励，待区安委办主任审批"
    return _attempt(case_id, "complaint-reward", ("amount", "reason"), work, "complaint")


@bp.post(f"/rewards/<{ID}:reward_id>/decision")
def reward_decision(reward_id: int):
    reward = db.session.get(ComplaintReward, reward_id)
    if reward is None:
        raise NotFound(f"举报奖励 {reward_id} 不存在")
    form = request.form
    decision = form.get("decision")

    def work():
        if decision not in ("approve", "refuse"):
            raise InvalidInput("请选择批准或不予批准", field="decision")
        row = complaints.decide_reward(db.session, reward_id, actor(),
                                       approve=decision == "approve",
                                       comment=form.get("comment") or None)
        return f"举报奖励{row.state_label}"
    return _attempt(reward.case_id, "complaint-decide_reward", ("decision", "comment"), work,
                    "complaint")

