"""监督举报 API: reveal the reporter (recorded), 答复, 核实材料, 奖励."""
from __future__ import annotations

from flask import current_app, jsonify, request

from blueprints.api import ID, api_user, authed, bp, json_body
from blueprints.api.openapi import ID_PARAM, add_paths, json_content, ref, responses, text
from blueprints.extensions import db, settings, storage
from workflow.core import service
from workflow.platform.errors import InvalidInput, refuse_unknown
from workflow.platform.parsing import parse_date
from workflow.platform.vocab import REPLY_CHANNELS
from workflow.problems import complaints


@bp.post(f"/cases/<{ID}:case_id>/reporter")
@authed
def reveal_reporter(case_id: int):
    """The reporter in full for the office; the reading is written to the audit chain."""
    if request.data:
        json_body(set())  # nothing to send; a body with fields is refused by name
    body = complaints.reveal_reporter(db.session, case_id, api_user())
    db.session.commit()
    return jsonify(body)


@bp.post(f"/cases/<{ID}:case_id>/reply")
@authed
def post_reply(case_id: int):
    data = json_body({"replied_on", "channel", "content"}, required=("replied_on", "channel",
                                                                    "content"))
    reply = complaints.add_reply(db.session, case_id, api_user(),
                                 replied_on=parse_date(data["replied_on"], "replied_on"),
                                 channel=data["channel"], content=data["content"])
    db.session.commit()
    return jsonify(reply.to_dict()), 201


@bp.get(f"/cases/<{ID}:case_id>/replies")
@authed
def list_replies(case_id: int):
    case = service.get_case(db.session, case_id, api_user())
    return jsonify({"items": [r.to_dict() for r in complaints.replies_of(db.session, case)]})


@bp.post(f"/cases/<{ID}:case_id>/verification-evidence")
@authed
def post_verification_evidence(case_id: int):
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("缺少上传文件（multipart 字段 file）", field="file")
    refuse_unknown(request.form, {"note", "csrf_token"})
    data = upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
    ev = complaints.upload_verification_file(db.session, case_id, api_user(), data=data,
                                             filename=upload.filename,
                                             note=request.form.get("note"), settings=settings(),
                                             storage=storage())
    db.session.commit()
    return jsonify(ev.to_dict()), 201


@bp.post(f"/cases/<{ID}:case_id>/rewards")
@authed
def post_reward(case_id: int):
    data = json_body({"amount", "reason"}, required=("amount", "reason"))
    reward = complaints.propose_reward(db.session, case_id, api_user(), amount=data["amount"],
                                       reason=data["reason"])
    db.session.commit()
    return jsonify(reward.to_dict()), 201


@bp.get(f"/cases/<{ID}:case_id>/rewards")
@authed
def list_rewards(case_id: int):
    case = service.get_case(db.session, case_id, api_user())
    return jsonify({"items": [r.to_dict() for r in complaints.rewards_of(db.session, case)]})


@bp.post(f"/rewards/<{ID}:reward_id>/decision")
@authed
def post_reward_decision(reward_id: int):
    data = json_body({"approve", "comment"}, required=("approve",))
    if data.get("comment") is not None and not isinstance(data["comment"], str):
        raise InvalidInput("comment 须为文本", field="comment")
    reward = complaints.decide_reward(db.session, reward_id, api_user(), approve=data["approve"],
                                      comment=data.get("comment"))
    db.session.commit()
    return jsonify(reward.to_dict())


_REWARD = {"type": "object", "properties": {
    "id": {"type": "integer"}, "case_id": {"type": "integer"}, "amount": {"type": "string"},
    "reason": {"type": "string"}, "state": {"type": "string",
                                            "enum": ["pending", "approved", "refused"]},
    "approved_by_id": {"type": ["integer", "null"]}, "decided_by_id": {"type": ["integer", "null"]},
    "decided_on": {"type": ["string", "null"], "format": "date"},
    "decision_comment": {"type": ["string", "null"]}}}
_REPLY = {"type": "object", "properties": {
    "id": {"type": "integer"}, "case_id": {"type": "integer"},
    "replied_on": {"type": "string", "format": "date"},
    "channel": {"type": "string", "enum": list(REPLY_CHANNELS)}, "content": {"type": "string"}}}
_REWARD_ID = {"name": "reward_id", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}

add_paths({
    "/cases/{case_id}/reporter": {"parameters": [ID_PARAM], "post": {
        "summary": "查阅举报人姓名与联系方式（区安委办；每次查阅记入审计链 reporter_viewed）",
        "responses": responses("200", {"type": "object", "properties": {
            "case_id": {"type": "integer"}, "reporter_name": {"type": ["string", "null"]},
            "reporter_contact": {"type": ["string", "null"]}, "version": {"type": "integer"}}},
            400, 401, 403, 404, 422)}},
    "/cases/{case_id}/reply": {"parameters": [ID_PARAM], "post": {
        "summary": "答复举报人（区安委办）：日期、方式、内容；举报事项办结前必须答复（reply_required）",
        "requestBody": {"required": True, **json_content({
            "type": "object", "additionalProperties": False,
            "required": ["replied_on", "channel", "content"],
            "properties": {"replied_on": {"type": "string", "format": "date"},
                           "channel": {"type": "string", "enum": list(REPLY_CHANNELS)},
                           "content": text(5000, required=True)}})},
        "responses": responses("201", ref("ComplaintReply"), 400, 401, 403, 404, 422)}},
    "/cases/{case_id}/replies": {"parameters": [ID_PARAM], "get": {
        "summary": "答复举报人记录", "responses": responses("200", ref("List"), 401, 404)}},
    "/cases/{case_id}/verification-evidence": {"parameters": [ID_PARAM], "post": {
        "summary": "上传核实材料（区安委办，举报事项已交办/整改中；经核实不属实须至少 1 份）",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"}, "note": text(1000)}}}}},
        "responses": responses("201", ref("Evidence"), 400, 401, 403, 404, 409, 413, 422)}},
    "/cases/{case_id}/rewards": {"parameters": [ID_PARAM],
        "get": {"summary": "举报奖励记录", "responses": responses("200", ref("List"), 401, 404)},
        "post": {"summary": "举报奖励申报（区安委办；举报属实并已销号）",
                 "requestBody": {"required": True, **json_content({
                     "type": "object", "additionalProperties": False,
                     "required": ["amount", "reason"],
                     "properties": {"amount": {"anyOf": [
                                        {"type": "integer", "minimum": 1, "maximum": 9999999999,
                                         "description": "整数元"},
                                        {"type": "string", "maxLength": 40,
                                         "pattern": complaints.AMOUNT_PATTERN,
                                         "description": "元，最多两位小数，如 \"800.50\""}]},
                                    "reason": text(2000, required=True)}})},
                 "responses": responses("201", ref("ComplaintReward"), 400, 401, 403, 404, 409,
                                        422)}},
    "/rewards/{reward_id}/decision": {"parameters": [_REWARD_ID], "post": {
        "summary": "举报奖励审批（区安委办主任）：批准或不予批准（须填意见）",
        "requestBody": {"required": True, **json_content({
            "type": "object", "additionalProperties": False, "required": ["approve"],
            "properties": {"approve": {"type": "boolean"},
                           "comment": {**text(2000), "type": ["string", "null"],
                                       "description": "不予批准时必填"}},
            "if": {"required": ["approve"], "properties": {"approve": {"const": False}}},
            "then": {"required": ["comment"],
                     "properties": {"comment": text(2000, required=True)}}})},
        "responses": responses("200", ref("ComplaintReward"), 400, 401, 403, 404, 409)}},
}, {"ComplaintReply": _REPLY, "ComplaintReward": _REWARD})
