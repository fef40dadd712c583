"""Problem cases beyond the state machine: disputes, progress, extensions, supervision, 回头看."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, jsonify
from sqlalchemy import select

from blueprints.api import ID, api_user, authed, bp, json_body, query_args
from blueprints.api.openapi import add_paths, json_content, ref, responses, text
from blueprints.extensions import db, settings
from workflow.core import service
from workflow.org.roles import AUDITOR, DISCIPLINE, LEADER, OFFICE_DIRECTOR, OFFICE_STAFF
from workflow.platform.errors import Forbidden, InvalidInput
from workflow.platform.parsing import parse_date, parse_id
from workflow.platform.vocab import LISTING_LEVELS
from workflow.problems import disputes, extensions, listings, lookback, progress, supervision
from workflow.problems.supervision import CaseListing
from workflow.records.listing import render_listing_notice
from workflow.tasklist import reporting

OFFICE = frozenset({OFFICE_STAFF, OFFICE_DIRECTOR})
OVERSIGHT = OFFICE | {LEADER, AUDITOR, DISCIPLINE}


def _require(roles: frozenset[str], what: str):
    user = api_user()
    if user.role not in roles:
        raise Forbidden(f"{what}仅限区安委办查看", needed_roles=sorted(roles),
                        rules=["role_required"])
    return user


def _case(case_id: int):
    return service.get_case(db.session, case_id, api_user())


def _optional_date(data: dict, name: str):
    return parse_date(data[name], name) if data.get(name) not in (None, "") else None


# --- 管辖异议 --------------------------------------------------------------
@bp.post(f"/cases/<{ID}:case_id>/dispute")
@authed
def post_dispute(case_id: int):
    data = json_body({"reason", "suggested_department_id"}, required=("reason",))
    suggested = data.get("suggested_department_id")
    if suggested is not None:
        suggested = parse_id(suggested, "suggested_department_id")
    row = disputes.raise_dispute(db.session, case_id, api_user(), reason=data["reason"],
                                 suggested_department_id=suggested)
    db.session.commit()
    return jsonify(row.to_dict()), 201


@bp.get("/disputes")
@authed
def list_disputes():
    args = query_args({"status"})
    _require(OFFICE, "职责异议")
    status = args.get("status", "open")
    if status not in (*disputes.STATUSES, "all"):
        raise InvalidInput("status 须为 open、transferred、refused 或 all", field="status")
    rows = disputes.disputes_for_office(db.session, None if status == "all" else status)
    return jsonify({"items": [d.to_dict() for d in rows]})


@bp.get(f"/cases/<{ID}:case_id>/disputes")
@authed
def case_disputes(case_id: int):
    return jsonify({"items": [d.to_dict() for d in disputes.disputes_of(db.session, _case(case_id))]})


@bp.post(f"/disputes/<{ID}:dispute_id>/decision")
@authed
def post_dispute_decision(dispute_id: int):
    data = json_body({"decision", "reason", "department_id"}, required=("decision",))
    dept = data.get("department_id")
    row = disputes.decide_dispute(db.session, dispute_id, api_user(), decision=data["decision"],
                                  comment=data.get("reason"),
                                  department_id=parse_id(dept, "department_id")
                                  if dept is not None else None, settings=settings())
    db.session.commit()
    return jsonify(row.to_dict())


# --- 进展报告 --------------------------------------------------------------
@bp.post(f"/cases/<{ID}:case_id>/progress")
@authed
def post_progress(case_id: int):
    data = json_body({"text", "percent", "count", "evidence_ids"}, required=("text",))
    case = _case(case_id)
    if case.kind == "task":
        # a task's 工作进展 is placed in its reporting period (报送及时率, 滞后)
        event, report = reporting.file_progress(
            db.session, case_id, api_user(), text=data["text"], percent=data.get("percent"),
            count=data.get("count"), evidence_ids=data.get("evidence_ids"))
        body = {**event.to_dict(), "report": report.to_dict(),
                **reporting.lagging_of(db.session, case)}
        db.session.commit()
        return jsonify(body), 201
    event = progress.add_progress(db.session, case_id, api_user(), text=data["text"],
                                  percent=data.get("percent"), count=data.get("count"),
                                  evidence_ids=data.get("evidence_ids"))
    db.session.commit()
    return jsonify(event.to_dict()), 201


@bp.get(f"/cases/<{ID}:case_id>/progress")
@authed
def list_progress(case_id: int):
    case = _case(case_id)
    rows = progress.progress_of(db.session, case)
    body = {"items": [e.to_dict() for e in rows]}
    if case.kind == "task":
        body["reports"] = [r.to_dict() for r in reporting.reports_of(db.session, case.id)]
        body["standing"] = reporting.lagging_of(db.session, case)
    return jsonify(body)


# --- 延期 ------------------------------------------------------------------
@bp.post(f"/cases/<{ID}:case_id>/extensions")
@authed
def post_extension(case_id: int):
    data = json_body({"reason", "interim_measures", "new_deadline"},
                     required=("reason", "interim_measures", "new_deadline"))
    ext = extensions.request_extension(db.session, case_id, api_user(), reason=data["reason"],
                                      interim_measures=data["interim_measures"],
                                      new_deadline=parse_date(data["new_deadline"], "new_deadline"))
    db.session.commit()
    return jsonify(ext.to_dict()), 201


@bp.get(f"/cases/<{ID}:case_id>/extensions")
@authed
def case_extensions(case_id: int):
    rows = extensions.extensions_of(db.session, _case(case_id))
    return jsonify({"items": [e.to_dict() for e in rows]})


@bp.get("/extensions")
@authed
def pending_extensions():
    query_args(set())
    user = _require(OFFICE, "延期审批")
    return jsonify({"items": [e.to_dict() for e in extensions.pending_extensions(db.session, user)]})


@bp.post(f"/extensions/<{ID}:extension_id>/decision")
@authed
def post_extension_decision(extension_id: int):
    data = json_body({"decision", "comment"}, required=("decision",))
    if data["decision"] not in ("approve", "reject"):
        raise InvalidInput("decision 须为 approve（批准）或 reject（不予批准）", field="decision")
    if data.get("comment") is not None and not isinstance(data["comment"], str):
        raise InvalidInput("comment 须为文本", field="comment")
    ext = extensions.decide_extension(db.session, extension_id, api_user(),
                                     approve=data["decision"] == "approve",
                                     comment=data.get("comment"))
    db.session.commit()
    return jsonify(ext.to_dict())


# --- 挂牌督办 / 催办 / 督办 / 约谈 ------------------------------------------
@bp.post(f"/cases/<{ID}:case_id>/listing")
@authed
def post_listing(case_id: int):
    """A proposal to the 区领导 (``level``, ``reasons``, ``deadline``); with a
    ``document_number``, the record of a listing another authority already decided."""
    data = json_body({"action", "document_number", "document_date", "due_on", "comment",
                      "level", "reasons", "deadline"})
    if data.get("comment") is not None and not isinstance(data["comment"], str):
        raise InvalidInput("comment 须为文本", field="comment")
    if "document_number" in data:
        for name in ("reasons", "deadline"):
            if name in data:
                raise InvalidInput(f"登记外部挂牌时不接受 {name}（提请区领导审批时不填文号）",
                                   field=name)
        row = supervision.set_listing(db.session, case_id, api_user(), action=data.get("action"),
                                      document_number=data["document_number"],
                                      document_date=_optional_date(data, "document_date"),
                                      due_on=_optional_date(data, "due_on"),
                                      comment=data.get("comment"), level=data.get("level"))
        db.session.commit()
        return jsonify(row.to_dict()), 201
    for name in ("document_date", "due_on", "comment"):
        if name in data:
            raise InvalidInput(f"提请挂牌督办时不接受 {name}（督办期限用 deadline，理由用 reasons）",
                               field=name)
    req = listings.propose(db.session, case_id, api_user(), action=data.get("action", "list"),
                           level=data.get("level"), reasons=data.get("reasons"),
                           due_on=_optional_date(data, "deadline"))
    db.session.commit()
    return jsonify(req.to_dict()), 201


@bp.post(f"/cases/<{ID}:case_id>/listing/decision")
@authed
def post_listing_decision(case_id: int):
    data = json_body({"approve", "comment"}, required=("approve",))
    req = listings.decide(db.session, case_id, api_user(), approve=data["approve"],
                          comment=data.get("comment"),
                          issuer_code=current_app.config["LISTING_ISSUER_CODE"])
    db.session.commit()
    body = req.to_dict()
    act = db.session.scalar(select(CaseListing).where(CaseListing.request_id == req.id))
    body["listing"] = act.to_dict() if act else None
    return jsonify(body)


@bp.get(f"/cases/<{ID}:case_id>/listing-requests")
@authed
def case_listing_requests(case_id: int):
    return jsonify({"items": [r.to_dict() for r in listings.requests_of(db.session, _case(case_id))]})


@bp.get("/listings")
@authed
def listing_board():
    query_args(set())
    return jsonify({"items": listings.public_board(db.session)})


@bp.get(f"/listings/<{ID}:listing_id>/notice.pdf")
@authed
def listing_notice(listing_id: int):
    row = listings.listing_act(db.session, listing_id, api_user())
    pdf = render_listing_notice(db.session, row_case(row), row,
                                issuer=current_app.config["RECORDS_ISSUER"])
    name = "挂牌督办通知书" if row.action == "list" else "摘牌通知"
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (f"inline; filename=\"listing-{row.id}.pdf\"; "
                                           f"filename*=UTF-8''{quote(name + '-' + row.document_number)}.pdf")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def row_case(row):
    return service.get_case(db.session, row.case_id, api_user())


@bp.get(f"/cases/<{ID}:case_id>/listings")
@authed
def case_listings(case_id: int):
    rows = supervision.listings_of(db.session, _case(case_id))
    return jsonify({"items": [r.to_dict() for r in rows]})


@bp.post(f"/cases/<{ID}:case_id>/supervision")
@authed
def post_supervision(case_id: int):
    data = json_body({"action", "comment"}, required=("action",))
    alert = supervision.manual_alert(db.session, case_id, api_user(), data["action"],
                                     data.get("comment"))
    db.session.commit()
    return jsonify(alert.to_dict()), 201


@bp.get(f"/cases/<{ID}:case_id>/alerts")
@authed
def case_alerts(case_id: int):
    rows = supervision.alerts_of(db.session, _case(case_id))
    return jsonify({"items": [r.to_dict() for r in rows]})


@bp.get("/interview-candidates")
@authed
def interview_candidates():
    query_args(set())
    user = _require(OVERSIGHT, "约谈建议名单")
    return jsonify({"items": supervision.interview_candidates(db.session, user)})


# --- 回头看 ----------------------------------------------------------------
@bp.get("/lookbacks")
@authed
def list_lookbacks():
    args = query_args({"limit"})
    _require(OFFICE, "回头看")
    limit = args.get("limit", "200")
    if not limit.isdigit() or not 1 <= int(limit) <= 1000:
        raise InvalidInput("limit 须为 1–1000 的整数", field="limit")
    due = lookback.due_lookbacks(db.session, days=current_app.config["LOOKBACK_DAYS"],
                                 limit=int(limit))
    return jsonify({"due": [c.to_dict() for c in due],
                    "pending_reopen": [r.to_dict() for r in lookback.pending_reopens(db.session)],
                    "lookback_days": current_app.config["LOOKBACK_DAYS"]})


@bp.post(f"/cases/<{ID}:case_id>/lookback")
@authed
def post_lookback(case_id: int):
    data = json_body({"result", "comment"}, required=("result",))
    row = lookback.record_lookback(db.session, case_id, api_user(), result=data["result"],
                                   comment=data.get("comment"), settings=settings())
    db.session.commit()
    return jsonify(row.to_dict()), 201


@bp.post(f"/lookbacks/<{ID}:lookback_id>/reopen")
@authed
def post_lookback_reopen(lookback_id: int):
    row = lookback.confirm_reopen(db.session, lookback_id, api_user(), settings=settings())
    db.session.commit()
    return jsonify(row.to_dict())


# --- OpenAPI ---------------------------------------------------------------
def _id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}


def _body(schema: dict) -> dict:
    return {"required": True, **json_content(schema)}


OBJ = {"type": "object"}
LIST = ref("List")
CASE_ID = _id("case_id")

add_paths({
    "/cases/{case_id}/dispute": {"parameters": [CASE_ID], "post": {
        "summary": "职责异议（责任部门提出）",
        "requestBody": _body({"type": "object", "required": ["reason"], "properties": {
            "reason": text(2000, required=True),
            "suggested_department_id": {"type": ["integer", "null"], "minimum": 1,
                                        "maximum": 2147483647}}}),
        "responses": responses("201", ref("Dispute"), 400, 401, 403, 404, 409)}},
    "/cases/{case_id}/disputes": {"parameters": [CASE_ID], "get": {
        "summary": "本案的职责异议记录", "responses": responses("200", LIST, 401, 404)}},
    "/disputes": {"get": {
        "summary": "职责异议列表（区安委办）",
        "parameters": [{"name": "status", "in": "query", "schema": {
            "type": "string", "enum": ["open", "transferred", "refused", "all"]}}],
        "responses": responses("200", LIST, 400, 401, 403)}},
    "/disputes/{dispute_id}/decision": {"parameters": [_id("dispute_id")], "post": {
        "summary": "处理职责异议：转办或异议不成立（须说明理由）",
        "requestBody": _body({"type": "object", "required": ["decision"], "properties": {
            "decision": {"type": "string", "enum": ["transfer", "refuse"]},
            "reason": {**text(2000), "type": ["string", "null"]},
            "department_id": {"type": ["integer", "null"], "minimum": 1, "maximum": 2147483647}}}),
        "responses": responses("200", ref("Dispute"), 400, 401, 403, 404, 409, 422)}},
    "/cases/{case_id}/progress": {"parameters": [CASE_ID],
        "get": {"summary": "进展报告列表", "responses": responses("200", LIST, 401, 404)},
        "post": {"summary": "进展报告 / 工作进展（责任单位；目标任务计入本报送周期）",
                 "requestBody": _body({"type": "object", "required": ["text"], "properties": {
                     "text": text(5000, required=True),
                     "percent": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
                     "count": {"type": ["integer", "null"], "minimum": 0, "maximum": 9999,
                               "description": "已开展次数（如会议、检查）"},
                     "evidence_ids": {"type": ["array", "null"], "maxItems": 100, "items": {
                         "type": "integer", "minimum": 1, "maximum": 2147483647},
                         "description": "本案已上传的佐证材料编号"}}}),
                 "responses": responses("201", ref("Event"), 400, 401, 403, 404, 409)}},
    "/cases/{case_id}/extensions": {"parameters": [CASE_ID],
        "get": {"summary": "延期申请历史", "responses": responses("200", LIST, 401, 404)},
        "post": {"summary": "延期申请（部门负责人，期限届满前）",
                 "requestBody": _body({"type": "object",
                                       "required": ["reason", "interim_measures", "new_deadline"],
                                       "properties": {
                                           "reason": text(2000, required=True),
                                           "interim_measures": text(2000, required=True),
                                           "new_deadline": {"type": "string", "format": "date"}}}),
                 "responses": responses("201", ref("Extension"), 400, 401, 403, 404, 409, 422)}},
    "/extensions": {"get": {"summary": "待我审批的延期申请",
                            "responses": responses("200", LIST, 401, 403)}},
    "/extensions/{extension_id}/decision": {"parameters": [_id("extension_id")], "post": {
        "summary": "延期审批（一般隐患：经办人；重大事故隐患：主任）",
        "requestBody": _body({"type": "object", "required": ["decision"], "properties": {
            "decision": {"type": "string", "enum": ["approve", "reject"]},
            "comment": {**text(2000), "type": ["string", "null"]}}}),
        "responses": responses("200", ref("Extension"), 400, 401, 403, 404, 409, 422)}},
    "/cases/{case_id}/listing": {"parameters": [CASE_ID], "post": {
        "summary": "提请挂牌督办/摘牌（主任，报区领导审批）；带 document_number 时登记其他机关已决定的挂牌/摘牌",
        "requestBody": _body({"oneOf": [
            {"type": "object", "required": ["reasons", "level", "deadline"],
             "additionalProperties": False, "description": "提请挂牌督办", "properties": {
                 "action": {"type": "string", "enum": ["list"], "default": "list"},
                 "level": {"type": "string", "enum": list(LISTING_LEVELS)},
                 "reasons": text(2000, required=True),
                 "deadline": {"type": "string", "format": "date",
                              "description": "督办期限（须晚于今天）"}}},
            {"type": "object", "required": ["action", "reasons"], "additionalProperties": False,
             "description": "提请摘牌：只填理由（层级沿用挂牌时的层级）", "properties": {
                 "action": {"type": "string", "enum": ["delist"]},
                 "reasons": text(2000, required=True),
                 "level": {"type": "null"},
                 "deadline": {"anyOf": [{"type": "null"}, {"type": "string", "maxLength": 0}]}}},
            {"type": "object", "required": ["action", "document_number"],
             "additionalProperties": False, "properties": {
                 "action": {"type": "string", "enum": ["list", "delist"]},
                 "document_number": text(60, required=True),
                 "document_date": {"type": "string", "format": "date"},
                 "due_on": {"type": "string", "format": "date"},
                 "level": {"type": "string", "enum": ["province", "city", "town"]},
                 "comment": {**text(2000), "type": ["string", "null"]}}}]}),
        "responses": responses("201", OBJ, 400, 401, 403, 404, 409, 422)}},
    "/cases/{case_id}/listing/decision": {"parameters": [CASE_ID], "post": {
        "summary": "区领导审批挂牌督办/摘牌提请（批准后编文号、出具通知书）",
        "requestBody": _body({"type": "object", "required": ["approve"], "properties": {
            "approve": {"type": "boolean"},
            "comment": {**text(2000), "type": ["string", "null"],
                        "description": "不同意时必填（未填：422 comment_required）"}}}),
        "responses": responses("200", OBJ, 400, 401, 403, 404, 409, 422)}},
    "/cases/{case_id}/listing-requests": {"parameters": [CASE_ID], "get": {
        "summary": "挂牌督办/摘牌提请及审批记录", "responses": responses("200", LIST, 401, 404)}},
    "/listings": {"get": {
        "summary": "挂牌督办公示：当前挂牌的隐患（单位、隐患、层级、期限、状态、进展是否滞后）",
        "responses": responses("200", LIST, 400, 401)}},
    "/listings/{listing_id}/notice.pdf": {"parameters": [_id("listing_id")], "get": {
        "summary": "挂牌督办通知书 / 摘牌通知（PDF；其他机关决定的挂牌无通知书：409）",
        "responses": {"200": {"description": "PDF", "content": {"application/pdf": {
            "schema": {"type": "string", "format": "binary"}}}},
            **{k: v for k, v in responses("200", OBJ, 401, 404, 409).items() if k != "200"}}}},
    "/cases/{case_id}/listings": {"parameters": [CASE_ID], "get": {
        "summary": "挂牌督办/摘牌记录", "responses": responses("200", LIST, 401, 404)}},
    "/cases/{case_id}/supervision": {"parameters": [CASE_ID], "post": {
        "summary": "催办、督办（区安委办）或列入约谈（主任）",
        "requestBody": _body({"type": "object", "required": ["action", "comment"], "properties": {
            "action": {"type": "string", "enum": ["urge", "supervise", "interview"]},
            "comment": text(2000, required=True)}}),
        "responses": responses("201", OBJ, 400, 401, 403, 404, 409, 422)}},
    "/cases/{case_id}/alerts": {"parameters": [CASE_ID], "get": {
        "summary": "期限提醒与催办/督办/约谈记录", "responses": responses("200", LIST, 401, 404)}},
    "/interview-candidates": {"get": {
        "summary": "约谈建议名单（按单位，附所涉事项）", "responses": responses("200", LIST, 401, 403)}},
    "/lookbacks": {"get": {
        "summary": "到期待回头看的已销号事项，及待主任确认重新整改的记录",
        "parameters": [{"name": "limit", "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}],
        "responses": responses("200", OBJ, 400, 401, 403)}},
    "/cases/{case_id}/lookback": {"parameters": [CASE_ID], "post": {
        "summary": "记录回头看结果（反弹须填写意见；主任记录时直接重新整改）",
        "requestBody": _body({"type": "object", "required": ["result"], "properties": {
            "result": {"type": "string", "enum": ["passed", "failed"]},
            "comment": {**text(2000), "type": ["string", "null"]}}}),
        "responses": responses("201", OBJ, 400, 401, 403, 404, 409, 422)}},
    "/lookbacks/{lookback_id}/reopen": {"parameters": [_id("lookback_id")], "post": {
        "summary": "主任确认回头看反弹，重新整改",
        "responses": responses("200", OBJ, 401, 403, 404, 409)}},
}, {
    "Dispute": {"type": "object", "properties": {
        "id": {"type": "integer"}, "case_id": {"type": "integer"},
        "status": {"type": "string", "enum": list(disputes.STATUSES)},
        "reason": {"type": "string"}, "decision_comment": {"type": ["string", "null"]}}},
    "Extension": {"type": "object", "properties": {
        "id": {"type": "integer"}, "case_id": {"type": "integer"},
        "status": {"type": "string", "enum": list(extensions.STATUSES)},
        "old_deadline": {"type": "string", "format": "date"},
        "new_deadline": {"type": "string", "format": "date"},
        "reason": {"type": "string"}, "interim_measures": {"type": "string"}}},
})
