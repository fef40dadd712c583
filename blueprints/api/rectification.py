"""Rectification work inside a case: statement draft, 五落实 plan, on-site records, drafts."""
from __future__ import annotations

from flask import current_app, jsonify, request

from blueprints.api import ID, api_user, authed, bp, json_body
from blueprints.api.cases import case_payload
from blueprints.extensions import db, settings, storage
from workflow.core import service
from workflow.platform.errors import InvalidInput, refuse_unknown
from workflow.platform.parsing import parse_date
from workflow.problems.registration import update_draft


@bp.patch(f"/cases/<{ID}:case_id>")
@authed
def patch_draft(case_id: int):
    case = update_draft(db.session, case_id, api_user(), json_body())
    db.session.commit()
    return jsonify(case_payload(case, api_user()))


@bp.put(f"/cases/<{ID}:case_id>/statement")
@authed
def put_statement(case_id: int):
    data = json_body({"statement"}, required=("statement",))
    if not isinstance(data["statement"], str) or len(data["statement"]) > 10000:
        raise InvalidInput("statement 须为 10000 字以内的文本", field="statement")
    case = service.draft_statement(db.session, case_id, api_user(), data["statement"])
    db.session.commit()
    return jsonify(case_payload(case, api_user()))


@bp.put(f"/cases/<{ID}:case_id>/plan")
@authed
def put_plan(case_id: int):
    """The six elements as JSON, or as multipart fields with the signed copy (``signed_copy``)."""
    signed = None
    if request.mimetype == "multipart/form-data":
        refuse_unknown(request.files, {"signed_copy"}, "治理方案不接受文件字段")
        data = {k: v for k, v in request.form.items() if k != "csrf_token"}
        upload = request.files.get("signed_copy")
        if upload is not None:
            signed = (upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1), upload.filename)
    else:
        data = json_body()
    for key, value in data.items():
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{key} 须为文本", field=key)
    case = service.set_plan(db.session, case_id, api_user(), data, signed_copy=signed,
                            settings=settings(), storage=storage())
    db.session.commit()
    return jsonify(case_payload(case, api_user()))


@bp.post(f"/cases/<{ID}:case_id>/verifications")
@authed
def post_verification(case_id: int):
    data = json_body({"visited_on", "verifiers", "findings", "purpose"},
                     required=("visited_on", "verifiers", "findings"))
    verifiers = data["verifiers"]
    if isinstance(verifiers, str):
        verifiers = [v for v in verifiers.replace("，", "、").replace(",", "、").split("、")]
    if not isinstance(verifiers, list) or not all(isinstance(v, (str, dict)) for v in verifiers):
        raise InvalidInput("verifiers 须为核查人列表（“姓名（职务）”、{name, post} 或 {user_id}）",
                           field="verifiers")
    if not isinstance(data["findings"], str):
        raise InvalidInput("findings 须为文本", field="findings")
    rec = service.add_onsite_verification(db.session, case_id, api_user(),
                                          visited_on=parse_date(data["visited_on"], "visited_on"),
                                          verifiers=verifiers, findings=data["findings"],
                                          purpose=data.get("purpose") or "verification")
    db.session.commit()
    return jsonify(rec.to_dict()), 201
