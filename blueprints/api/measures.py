"""督办措施: 督办函, 约谈, 通报, 问责移交 (``workflow.measures``)."""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, current_app, jsonify, request

from blueprints.api import ID, api_user, authed, bp, json_body, query_args
from blueprints.api.openapi import add_paths, json_content, ref, responses, text
from blueprints.extensions import db, settings, storage
from workflow.core import policy
from workflow.core.workdays import calendar_for
from workflow.measures import acts, ledger, papers, scoring
from workflow.measures.models import ALL_STATUSES, KINDS, Measure
from workflow.measures.settings import MeasureSettings
from workflow.platform.base import local_today
from workflow.platform.errors import Forbidden, InvalidInput, refuse_unknown
from workflow.platform.parsing import parse_date
from workflow.platform.vocab import is_choice


def _settings() -> MeasureSettings:
    return MeasureSettings.from_config(current_app.config)


def measure_payload(measure: Measure, user) -> dict:
    body = measure.to_dict(local_today())
    body["papers"] = papers.papers_of(measure)
    body["available_steps"] = policy.measure_steps_for(
        measure.kind, measure.status, [d.id for d in measure.departments], user)
    return body


@bp.post("/measures")
@authed
def post_measure():
    data = json_body()
    user = api_user()
    measure = acts.create(db.session, user, data, settings=_settings(),
                          calendar=calendar_for(db.session))
    body = measure_payload(measure, user)
    db.session.commit()
    return jsonify(body), 201


@bp.get("/measures")
@authed
def list_measures():
    args = query_args({"kind", "status"})
    kind, status = args.get("kind"), args.get("status")
    if kind is not None and not is_choice(kind, KINDS):
        raise InvalidInput(f"kind 须为：{', '.join(KINDS)}", field="kind")
    if status is not None and status not in ALL_STATUSES:
        raise InvalidInput(f"status 须为：{', '.join(ALL_STATUSES)}", field="status")
    user = api_user()
    today = local_today()
    rows = acts.list_measures(db.session, user, kind=kind, status=status)
    return jsonify({"items": [m.to_dict(today) for m in rows],
                    "overdue_count": sum(1 for m in rows if m.is_overdue(today))})


@bp.get(f"/measures/<{ID}:measure_id>")
@authed
def get_measure(measure_id: int):
    user = api_user()
    return jsonify(measure_payload(acts.get_measure(db.session, measure_id, user), user))


@bp.post(f"/measures/<{ID}:measure_id>/steps")
@authed
def post_measure_step(measure_id: int):
    user = api_user()
    files = []
    if request.mimetype == "multipart/form-data":
        refuse_unknown(request.form, {"step", "content", "csrf_token"})
        refuse_unknown(request.files, {"file"})
        data = {k: v for k, v in request.form.items() if k in ("content",)}
        step = request.form.get("step")
        limit = current_app.config["MAX_UPLOAD_BYTES"]
        files = [(f.read(limit + 1), f.filename) for f in request.files.getlist("file")
                 if f and f.filename]
    else:
        data = json_body()
        step = data.pop("step", None)
    row = acts.add_step(db.session, measure_id, user, step, data, files=files,
                        settings=_settings(), upload_settings=settings(), storage=storage(),
                        calendar=calendar_for(db.session))
    body = measure_payload(row.measure, user)
    db.session.commit()
    return jsonify(body), 201


@bp.get(f"/measures/<{ID}:measure_id>/document.pdf")
@authed
def measure_document(measure_id: int):
    args = query_args({"paper"})
    paper = args.get("paper")
    if paper is not None and paper not in papers.PAPERS:
        raise InvalidInput(f"paper 须为：{', '.join(papers.PAPERS)}", field="paper")
    measure = acts.get_measure(db.session, measure_id, api_user())
    pdf, name = papers.render_paper(db.session, measure, paper,
                                    issuer=current_app.config["RECORDS_ISSUER"])
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (f"inline; filename=\"measure-{measure.id}.pdf\"; "
                                           f"filename*=UTF-8''{quote(name)}.pdf")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get(f"/measures/<{ID}:measure_id>/dossier.zip")
@authed
def measure_dossier(measure_id: int):
    query_args(set())
    user = api_user()
    measure = acts.get_measure(db.session, measure_id, user)
    data = papers.referral_dossier(db.session, measure, storage=storage(),
                                   issuer=current_app.config["RECORDS_ISSUER"])
    resp = Response(data, mimetype="application/zip")
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"referral-{measure.id}.zip\"; "
        f"filename*=UTF-8''{quote('问责移交材料-' + measure.doc_number)}.zip")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get("/measure-points")
@authed
def measure_points():
    args = query_args({"year"})
    user = api_user()
    if user.role not in policy.FIGURE_READERS:
        raise Forbidden(f"考核加减分须由{policy.role_names(policy.FIGURE_READERS)}查看",
                        needed_roles=sorted(policy.FIGURE_READERS), rules=["role_required"])
    today = local_today()
    year = args.get("year", str(today.year))
    if not year.isdigit() or not 2000 <= int(year) <= 2100:
        raise InvalidInput("year 须为 2000–2100 的年份", field="year")
    cfg = _settings()
    rows = scoring.unit_points(db.session, int(year), today, cfg.points)
    return jsonify({"year": int(year), "weights": cfg.points, "items": rows})


@bp.get("/measures/ledger.xlsx")
@authed
def measure_ledger():
    """督办措施台账 of a period (default: this month), for the monthly report up."""
    args = query_args({"from", "to"})
    user = api_user()
    if user.role not in policy.FIGURE_READERS:
        raise Forbidden(f"督办措施台账须由{policy.role_names(policy.FIGURE_READERS)}导出",
                        needed_roles=sorted(policy.FIGURE_READERS), rules=["role_required"])
    today = local_today()
    start = parse_date(args["from"], "from") if "from" in args else today.replace(day=1)
    end = parse_date(args["to"], "to") if "to" in args else today
    if end < start:
        raise InvalidInput("to 不能早于 from", field="to")
    data = ledger.ledger_xlsx(ledger.measures_between(db.session, start, end), start, end, today)
    resp = Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"督办措施台账-{start.isoformat()}-{end.isoformat()}.xlsx"
    resp.headers["Content-Disposition"] = (f"attachment; filename=\"measures.xlsx\"; "
                                           f"filename*=UTF-8''{quote(name)}")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


# --- OpenAPI ---------------------------------------------------------------
MEASURE_ID = {"name": "measure_id", "in": "path", "required": True,
              "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}
IDS = {"type": "array", "maxItems": 100,
       "items": {"type": "integer", "minimum": 1, "maximum": 2147483647}}
# a local date and time, e.g. 2026-03-05T09:30 (Asia/Shanghai)
LOCAL_TIME = {"type": "string", "description": "约谈时间（北京时间）YYYY-MM-DDTHH:MM",
              "pattern": r"^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d$"}
ADDRESSED = [{"required": ["department_ids"], "properties": {"department_ids": {"minItems": 1}}},
             {"required": ["case_ids"], "properties": {"case_ids": {"minItems": 1}}}]


def _kind(kind: str, required: list[str], props: dict, *, addressed: bool = True) -> dict:
    schema = {"type": "object", "additionalProperties": False, "description": KINDS[kind],
              "required": ["kind", "content", *required], "properties": {
                  "kind": {"type": "string", "enum": [kind]},
                  "department_ids": IDS, "case_ids": IDS, "title": text(200),
                  "content": text(5000, required=True), **props}}
    if addressed:
        schema["anyOf"] = ADDRESSED
    return schema


MEASURE_INPUT = {"oneOf": [
    _kind("letter", [], {"reply_days": {"type": "integer", "minimum": 1, "maximum": 60,
                                        "description": "反馈时限（工作日），默认 LETTER_REPLY_WORKING_DAYS"}}),
    _kind("interview", ["interviewee_name", "interviewee_post", "interviewer", "scheduled_at",
                        "place"], {
        "interviewee_name": text(60, required=True), "interviewee_post": text(60, required=True),
        "interviewer": text(200, required=True), "place": text(200, required=True),
        "scheduled_at": LOCAL_TIME}),
    _kind("bulletin", ["tone"], {"tone": {"type": "string", "enum": ["criticism", "commendation"]}}),
    _kind("referral", ["case_ids"], {"case_ids": {**IDS, "minItems": 1, "maxItems": 1}},
          addressed=False),
]}


def _step(step: str, props: dict, required: list[str]) -> dict:
    return {"type": "object", "additionalProperties": False, "required": ["step", *required],
            "properties": {"step": {"type": "string", "enum": [step]}, **props}}


STEP_INPUT = {"oneOf": [
    _step("reply", {"content": text(5000, required=True)}, ["content"]),
    _step("minutes", {"attendees": text(1000, required=True),
                      "content": text(5000, required=True),
                      "commitments": text(5000, required=True)},
          ["attendees", "content", "commitments"]),
    _step("report", {"content": text(5000, required=True)}, ["content"]),
    _step("receipt", {"content": {**text(5000), "type": ["string", "null"]}}, []),
    _step("outcome", {"content": text(5000, required=True)}, ["content"]),
]}
STEP_UPLOAD = {"type": "object", "required": ["step", "content"], "additionalProperties": False,
               "properties": {"step": {"type": "string", "enum": ["reply", "report", "outcome"]},
                              "content": text(5000, required=True),
                              "file": {"type": "string", "format": "binary",
                                       "description": "附件（存入材料库）"}}}
NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
MEASURE = {"type": "object", "required": ["id", "kind", "doc_number", "status"], "properties": {
    "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(KINDS)},
    "kind_label": {"type": "string"}, "doc_number": {"type": "string"},
    "doc_date": {"type": "string", "format": "date"},
    "status": {"type": "string", "enum": ALL_STATUSES}, "status_label": {"type": "string"},
    "title": {"type": "string"}, "content": {"type": "string"}, "due_on": NULLABLE_DATE,
    "overdue": {"type": "boolean"}, "details": {"type": "object"},
    "department_ids": {"type": "array", "items": {"type": "integer"}},
    "departments": {"type": "array", "items": {"type": "string"}},
    "case_ids": {"type": "array", "items": {"type": "integer"}},
    "cases": {"type": "array", "items": {"type": "object"}},
    "created_by": {"type": ["string", "null"]}, "created_at": {"type": "string"},
    "steps": {"type": "array", "items": {"type": "object", "properties": {
        "id": {"type": "integer"}, "step": {"type": "string"}, "content": {"type": "string"},
        "attachments": {"type": "array"}}}},
    "papers": {"type": "array", "items": {"type": "string", "enum": list(papers.PAPERS)}},
    "available_steps": {"type": "array", "items": {"type": "string"}}}}
BINARY = {"type": "string", "format": "binary"}


def _file(mime: str, *errors: int) -> dict:
    return {"200": {"description": "文件", "content": {mime: {"schema": BINARY}}},
            **{k: v for k, v in responses("200", {}, *errors).items() if k != "200"}}


add_paths({
    "/measures": {
        "post": {"summary": "发出督办措施：督办函（letter）、约谈通知（interview）、通报（bulletin）、"
                            "问责移交（referral），编文号",
                 "requestBody": {"required": True, **json_content(MEASURE_INPUT)},
                 "responses": responses("201", ref("Measure"), 400, 401, 403)},
        "get": {"summary": "督办措施列表（本人可见）",
                "parameters": [
                    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(KINDS)}},
                    {"name": "status", "in": "query",
                     "schema": {"type": "string", "enum": ALL_STATUSES}}],
                "responses": responses("200", {"type": "object", "required": ["items"], "properties": {
                    "items": {"type": "array", "items": ref("Measure")},
                    "overdue_count": {"type": "integer"}}}, 400, 401)}},
    "/measures/{measure_id}": {"parameters": [MEASURE_ID], "get": {
        "summary": "督办措施及其办理步骤", "responses": responses("200", ref("Measure"), 401, 404)}},
    "/measures/{measure_id}/steps": {"parameters": [MEASURE_ID], "post": {
        "summary": "办理下一步：书面反馈（reply）、约谈纪要（minutes，约谈举行后）、落实报告（report）、"
                   "受理（receipt）、处理结果（outcome）",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": STEP_INPUT},
            "multipart/form-data": {"schema": STEP_UPLOAD}}},
        "responses": responses("201", ref("Measure"), 400, 401, 403, 404, 409, 413)}},
    "/measures/{measure_id}/document.pdf": {"parameters": [MEASURE_ID], "get": {
        "summary": "督办措施文书（PDF）：督办函、约谈通知书、约谈纪要（paper=minutes）、通报、问责线索移交函",
        "parameters": [{"name": "paper", "in": "query", "schema": {
            "type": "string", "enum": list(papers.PAPERS)}}],
        "responses": _file("application/pdf", 400, 401, 404, 409)}},
    "/measures/{measure_id}/dossier.zip": {"parameters": [MEASURE_ID], "get": {
        "summary": "问责移交材料包（移交函、整改销号审批表、全过程记录）",
        "responses": _file("application/zip", 400, 401, 404)}},
    "/measures/ledger.xlsx": {"get": {
        "summary": "督办措施台账（Excel；默认本月），供每月向督导组报送",
        "parameters": [{"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                       {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}}],
        "responses": _file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           400, 401, 403)}},
    "/measure-points": {"get": {
        "summary": "督办措施考核加减分（按单位，年度）",
        "parameters": [{"name": "year", "in": "query",
                        "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}}],
        "responses": responses("200", {"type": "object", "properties": {
            "year": {"type": "integer"}, "weights": {"type": "object"},
            "items": {"type": "array", "items": {"type": "object"}}}}, 400, 401, 403)}},
}, {"Measure": MEASURE})
