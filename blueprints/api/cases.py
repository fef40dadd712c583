"""Cases: create, list, read, transitions, evidence, events."""
from __future__ import annotations

from flask import current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from blueprints.api import ID, api_user, authed, bp, json_body, query_args
from blueprints.extensions import db, settings, storage
from workflow.core import policy, service
from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.evidence import Evidence
from workflow.core.queries import decode_id_cursor, encode_id_cursor, filtered_cases, int_arg
from workflow.platform.base import local_today
from workflow.platform.errors import InvalidInput, refuse_unknown
from workflow.platform.parsing import parse_id
from workflow.problems.registration import create_problem
from workflow.tasklist import reporting

LIST_FILTERS = {"kind", "status", "department_id", "source", "grade", "overdue", "q", "limit",
                "cursor", "year", "territorial_unit_id", "enterprise_id"}


def case_payload(case: Case, user) -> dict:
    body = case.to_dict()
    if case.kind == "task":
        body.update(reporting.lagging_of(db.session, case))
    body["actions"] = service.available_actions(db.session, case, user)
    # 属地 hierarchy: the child cases passed down (and whether the user may pass it down)
    body["child_case_ids"] = [c.id for c in case.children]
    body["can_delegate"] = policy.can_delegate(case, user)
    proposal = getattr(case, "enterprise_proposal", None)
    if proposal is not None:
        body["enterprise_proposal"] = proposal
    return body


def with_lagging(cases: list[Case]) -> list[dict]:
    """Each case as the API gives it; a task also says whether it is 滞后 and why."""
    found = reporting.standings(db.session, cases, local_today())
    out = []
    for c in cases:
        body = c.to_dict()
        if c.id in found:
            body.update(found[c.id].to_dict())
        out.append(body)
    return out


@bp.post("/cases")
@authed
def create_case():
    case = create_problem(db.session, api_user(), json_body())
    db.session.commit()
    return jsonify(case_payload(case, api_user())), 201


@bp.get("/cases")
@authed
def list_cases():
    args = query_args(LIST_FILTERS)
    user = api_user()
    limit = int_arg(args, "limit", 1, 200) or 50
    stmt = filtered_cases(user, args)
    if args.get("cursor"):
        stmt = stmt.where(Case.id < decode_id_cursor(args["cursor"]))
    # to_dict reads each case's departments: its unit and 属地 unit joined into the page's
    # statement, the co-handling units loaded for the whole page at once
    stmt = stmt.options(joinedload(Case.department), selectinload(Case.co_departments),
                        joinedload(Case.territorial_unit))
    rows = db.session.scalars(stmt.order_by(Case.id.desc()).limit(limit + 1)).all()
    items = rows[:limit]
    next_cursor = encode_id_cursor(items[-1].id) if len(rows) > limit else None
    return jsonify({"items": with_lagging(items), "next_cursor": next_cursor})


@bp.get(f"/cases/<{ID}:case_id>")
@authed
def get_case(case_id: int):
    user = api_user()
    case = service.get_case(db.session, case_id, user)
    return jsonify(case_payload(case, user))


@bp.post(f"/cases/<{ID}:case_id>/transitions")
@authed
def post_transition(case_id: int):
    data = json_body()
    trigger = data.pop("trigger", None)
    version = data.pop("version", None)
    comment = data.pop("comment", None)
    if not isinstance(trigger, str) or not trigger:
        raise InvalidInput("缺少 trigger（操作名）", field="trigger")
    if isinstance(version, bool) or not isinstance(version, int) or not 0 < version < 2**31:
        raise InvalidInput("version 须为事项当前版本号（整数）", field="version")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 5000):
        raise InvalidInput("comment 须为 5000 字以内的文本", field="comment")
    if "department_id" in data:
        data["department_id"] = parse_id(data["department_id"], "department_id")
    if "statement" in data and not isinstance(data["statement"], str):
        raise InvalidInput("statement 须为文本", field="statement")
    if "target_reason" in data and (not isinstance(data["target_reason"], str)
                                    or len(data["target_reason"]) > 2000):
        raise InvalidInput("target_reason 须为 2000 字以内的文本", field="target_reason")
    if "verification_record" in data and (not isinstance(data["verification_record"], str)
                                          or len(data["verification_record"]) > 5000):
        raise InvalidInput("verification_record 须为 5000 字以内的文本", field="verification_record")
    user = api_user()
    case = service.transition(db.session, case_id, trigger, user, version=version,
                              comment=comment, data=data, settings=settings())
    db.session.commit()
    return jsonify(case_payload(case, user))


@bp.post(f"/cases/<{ID}:case_id>/evidence")
@authed
def post_evidence(case_id: int):
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("缺少上传文件（multipart 字段 file）", field="file")
    refuse_unknown(request.form, {"category", "note", "csrf_token"})
    data = upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
    ev = service.upload_evidence(db.session, case_id, api_user(), data=data,
                                 filename=upload.filename, category=request.form.get("category"),
                                 note=request.form.get("note"), settings=settings(),
                                 storage=storage())
    db.session.commit()
    return jsonify(ev.to_dict()), 201


@bp.get(f"/cases/<{ID}:case_id>/evidence")
@authed
def list_evidence(case_id: int):
    case = service.get_case(db.session, case_id, api_user())
    rows = db.session.scalars(select(Evidence).where(Evidence.case_id == case.id)
                              .order_by(Evidence.round, Evidence.id)).all()
    # a delegated child's evidence is shown on its parent (the town sees what the 村 sent up)
    below = db.session.scalars(select(Evidence).join(Case, Case.id == Evidence.case_id)
                               .where(Case.parent_case_id == case.id)
                               .order_by(Evidence.case_id, Evidence.round, Evidence.id)).all()
    return jsonify({"items": [e.to_dict() for e in rows],
                    "child_items": [{**e.to_dict(), "from_child": True} for e in below]})


@bp.get(f"/cases/<{ID}:case_id>/events")
@authed
def list_events(case_id: int):
    case = service.get_case(db.session, case_id, api_user())
    rows = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                              .order_by(AuditEvent.seq)).all()
    return jsonify({"items": [e.to_dict() for e in rows], "head": case.audit_head})
