"""Task-list pages: plans, upload with a preview before confirming, the plan's hierarchy.

The preview runs the import as a dry run and keeps the uploaded bytes under
``STORAGE_DIR/tasklist-uploads/<sha256>``; the confirm form posts only that SHA-256,
so what is imported is exactly the file that was previewed.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints.extensions import db, settings
from blueprints.web import require_login
from workflow.org.models import Department
from workflow.org.roles import DEPARTMENT_ROLES, OFFICE_ROLES, OFFICE_STAFF
from workflow.platform.errors import DomainError, InvalidInput, RuleFailed
from workflow.tasklist.departments import ROLE_LABELS
from workflow.tasklist.expand import expand_groups
from workflow.tasklist.importer import import_tasklist
from workflow.tasklist.models import (
    ITEM_STATUS_LABELS,
    PLAN_KINDS,
    Plan,
    hierarchy,
    item_status,
    load_items,
    matching_items,
    occurrence_counts,
    progress_text,
    unit_role,
)

bp = Blueprint("plans", __name__, url_prefix="/plans")
require_login(bp)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _uploads() -> Path:
    folder = Path(current_app.config["STORAGE_DIR"]) / "tasklist-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep_upload(data: bytes, sha256: str) -> None:
    target = _uploads() / sha256
    if not target.exists():
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(target)


def _stored_upload(sha256: str) -> bytes:
    if not _SHA256.fullmatch(sha256 or ""):
        raise InvalidInput("预览文件标识无效，请重新上传", field="sha256")
    path = _uploads() / sha256
    if not path.exists():
        raise InvalidInput("预览的文件已失效，请重新上传", field="sha256")
    return path.read_bytes()


def _form() -> dict:
    return {k: (request.form.get(k) or "").strip()
            for k in ("year", "title", "doc_number", "kind", "end_year", "plan_id")}


def _plan_options(form: dict) -> dict:
    return {"kind": form.get("kind") or None, "end_year": form.get("end_year") or None,
            "plan_id": form.get("plan_id") or None}


def choices_from_form(form) -> dict:
    """The office's answers on the preview page, as import choices.

    ``name:<名称>``: create | create_town | skip | alias:<id> | host:<id>;
    ``role:<序号>:<i>``: lead | responsible | support | drop for the i-th entry listed in
    ``entries:<序号>`` (JSON), stored only when it differs from ``shown:<序号>``;
    ``add:<序号>``: more units (、-separated) the item is given as 责任;
    ``target:<序号>:<单位>``: the count the unit owes (with ``targets:<序号>`` listing the
    matching as shown); ``choices_given``: the choices of the earlier previews (JSON).
    """
    names, items, targets = {}, {}, {}
    for key, value in form.items():
        value = (value or "").strip()
        if key.startswith("name:") and value:
            if value in ("create", "create_town"):
                names[key[5:]] = {"action": "create",
                                  "kind": "town" if value == "create_town" else "department"}
            elif value == "skip":
                names[key[5:]] = {"action": "skip"}
            elif value.split(":", 1)[0] in ("alias", "host") and ":" in value:
                action, target = value.split(":", 1)
                names[key[5:]] = {"action": action, "department": target}
            else:
                raise InvalidInput(f"名称“{key[5:][:30]}”的处理方式无效", field=key)
    for key, value in form.items():
        if not key.startswith("entries:"):
            continue
        seq = key.split(":", 1)[1]
        try:
            shown = json.loads(value)
            roles_before = json.loads(form.get(f"shown:{seq}") or "[]")
        except ValueError:
            raise InvalidInput("分工数据无效，请重新预览", field=key) from None
        if not isinstance(shown, list) or not isinstance(roles_before, list):
            raise InvalidInput("分工数据无效，请重新预览", field=key)
        entries, roles = [], []
        for i, entry in enumerate(shown):
            if not isinstance(entry, dict):
                raise InvalidInput("分工数据无效，请重新预览", field=key)
            role = form.get(f"role:{seq}:{i}") or entry.get("role")
            roles.append(role)
            if role != "drop":
                entries.append({"name": entry.get("name"), "role": role, "group": entry.get("group")})
        added = [n for n in re.split(r"[、，,\s]+", form.get(f"add:{seq}") or "") if n]
        entries += [{"name": n, "role": "responsible", "group": None} for n in added]
        if added or roles != roles_before:
            items[seq] = entries
    for key, value in form.items():
        if not key.startswith("targets:"):
            continue
        seq = key.split(":", 1)[1]
        try:
            shown = json.loads(value)
        except ValueError:
            raise InvalidInput("量化目标数据无效，请重新预览", field=key) from None
        chosen, changed = {}, False
        for unit, rows in (shown or {}).items():
            raw = (form.get(f"target:{seq}:{unit}") or "").strip()
            first = rows[0] if rows else None
            if raw == "" and first is None:
                chosen[unit] = []
                continue
            if raw and not raw.isdigit():
                raise InvalidInput(f"第{seq}项“{unit}”的目标次数须为整数", field=f"target:{seq}:{unit}")
            count = int(raw) if raw else 0
            changed |= count != (first["count"] if first else 0)
            chosen[unit] = ([{"count": count, "period_years": first["period_years"] if first else 1,
                              "text": first["text"] if first else ""}] if count else [])
        if changed:
            targets[seq] = chosen
    try:
        given = json.loads(form.get("choices_given") or "{}")
    except ValueError:
        raise InvalidInput("预览数据无效，请重新上传", field="choices_given") from None
    if not isinstance(given, dict):
        raise InvalidInput("预览数据无效，请重新上传", field="choices_given")
    # what the office chose on earlier previews of this file, then what it changed now
    return {key: {**(given.get(key) if isinstance(given.get(key), dict) else {}), **new}
            for key, new in (("names", names), ("items", items), ("targets", targets))}


def _departments():
    return db.session.scalars(select(Department).where(Department.active.is_(True))
                              .order_by(Department.kind, Department.name)).all()


def _render_preview(result, form, status: int = 200, error: str | None = None):
    return render_template("plans/preview.html", result=result, form=form, error=error,
                           departments=_departments(),
                           can_confirm=current_user.role == OFFICE_STAFF,
                           kinds=PLAN_KINDS), status


def _plans():
    return db.session.scalars(select(Plan).order_by(Plan.year.desc(), Plan.id)).all()


@bp.get("/")
def index():
    return render_template("plans/index.html", plans=_plans(), form={}, error=None,
                           can_import=current_user.role in OFFICE_ROLES, kinds=PLAN_KINDS)


@bp.post("/preview")
def preview():
    form = _form()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("请选择要上传的清单文件（.docx、.xlsx 或文本）", field="file")
        limit = current_app.config["MAX_UPLOAD_BYTES"]
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise InvalidInput(f"文件超过 {limit // (1024 * 1024)} MiB 上限", field="file")
        result = import_tasklist(db.session, data, upload.filename, form["year"], current_user,
                                 dry_run=True, title=form["title"] or None,
                                 doc_number=form["doc_number"] or None, settings=settings(),
                                 **_plan_options(form))
    except DomainError as exc:
        db.session.rollback()
        return render_template("plans/index.html", plans=_plans(), form=form, error=exc.message,
                               can_import=current_user.role in OFFICE_ROLES,
                               kinds=PLAN_KINDS), exc.status
    db.session.rollback()
    _keep_upload(data, result.sha256)
    return _render_preview(result, form)


def _run_with_choices(dry_run: bool):
    form = _form()
    sha256 = request.form.get("sha256", "")
    data = _stored_upload(sha256)
    choices = choices_from_form(request.form)
    return form, sha256, import_tasklist(
        db.session, data, request.form.get("filename") or "清单", form["year"], current_user,
        dry_run=dry_run, apply_changes=request.form.get("apply_changes") == "1",
        title=form["title"] or None, doc_number=form["doc_number"] or None, settings=settings(),
        choices=choices, create_unknown=request.form.get("create_unknown") == "1",
        **_plan_options(form))


@bp.post("/preview/again")
def preview_again():
    """The same file previewed again with the office's choices (split, names, targets)."""
    form, _, result = _run_with_choices(dry_run=True)
    db.session.rollback()
    return _render_preview(result, form)


@bp.post("/confirm")
def confirm():
    try:
        form, sha256, result = _run_with_choices(dry_run=False)
    except RuleFailed as exc:
        db.session.rollback()
        form, _, result = _run_with_choices(dry_run=True)
        db.session.rollback()
        return _render_preview(result, form, exc.status, exc.message)
    db.session.commit()
    (_uploads() / sha256).unlink(missing_ok=True)
    flash("；".join(result.lines()[1:3]) + f"；挂号交办任务 {len(result.cases)} 件")
    return redirect(url_for("plans.show", plan_id=result.plan_id))


@bp.post("/<int:plan_id>/expand-groups")
def expand(plan_id: int):
    """分解部门组: pending groups with members now get one responsibility and case each."""
    body = expand_groups(db.session, plan_id, current_user, settings=settings())
    db.session.commit()
    pending = "、".join(sorted({p["group"] for p in body["still_pending"]}))
    flash(f"分解部门组：新交办任务事项 {body['cases']} 件"
          + (f"；仍待分解（尚无成员）：{pending}" if pending else ""))
    return redirect(url_for("plans.show", plan_id=plan_id))


@bp.get("/<int:plan_id>")
def show(plan_id: int):
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    items = load_items(db.session, plan)
    counts = occurrence_counts(db.session, [link.case_id for i in items for link in i.case_links])
    by_id = {i.id: i for i in items}
    dept_id = current_user.department_id if current_user.role in DEPARTMENT_ROLES else None
    mine = request.args.get("mine", "both" if dept_id else "")
    if mine not in ("", "lead", "co", "both") or (mine and dept_id is None):
        mine = ""
    query = (request.args.get("q") or "").strip()[:100]
    shown = matching_items(items, department_id=dept_id, mine=mine, query=query)
    pending = sum(1 for i in items for r in i.responsibilities if r.pending)
    return render_template("plans/show.html", plan=plan, projects=hierarchy(items), items=by_id,
                           counts=counts, item_status=item_status, labels=ITEM_STATUS_LABELS,
                           progress_text=progress_text, shown=shown, mine=mine, q=query,
                           dept_id=dept_id, unit_role=unit_role,
                           filtered=bool(mine or query), pending_groups=pending,
                           can_expand=current_user.role == OFFICE_STAFF, role_labels=ROLE_LABELS)
