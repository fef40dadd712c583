"""The one place that changes a case: role, scope, guards, lock, audit.

Every function here flushes and never commits: the caller (a request, the
CLI, a worker) commits once, so the state change and its audit event land in
the same transaction or not at all.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import String, bindparam, cast, exists, func, select
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import MANYTOONE, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from workflow.core import machine, photo_checks, policy
from workflow.core.audit import INSERT_EVENTS, append_event, event_row, insert_events
from workflow.core.cases import (
    ONSITE_ACTIONS,
    ONSITE_PURPOSES,
    Case,
    OnsiteVerification,
    case_co_departments,
    normalise_plan,
)
from workflow.core.evidence import IMAGE_TYPES, Evidence, Storage, check_upload
from workflow.core.images import ImageLimits, make_renditions
from workflow.core.notifications import (
    SETTLE,
    SETTLED_BY,
    department_user_ids,
    notify,
    notify_for_transition,
    notify_registered,
    notify_to_report,
)
from workflow.core.numbering import case_number, case_numbers
from workflow.core.rules import input_rules, state_rules
from workflow.org.models import Department, User
from workflow.org.roles import DEPT_HEAD
from workflow.platform.base import local_today, utcnow
from workflow.platform.db import insert_rows, is_sqlite, reserve_ids
from workflow.platform.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleFailed,
    refuse_unknown,
)
from workflow.platform.office_limits import ImportLimits
from workflow.platform.vocab import (
    DUTIES,
    EVIDENCE_CATEGORIES,
    OFFICE_EVIDENCE_CATEGORIES,
    PLAN_ALIASES,
    PLAN_ELEMENTS,
    REGISTRATION_PHOTO_CATEGORIES,
    is_choice,
)
from workflow.platform.wording import rule_text, trigger_label

# What each trigger accepts besides ``trigger``, ``version`` and ``comment``
TRIGGER_FIELDS = {"report": {"statement", "target_reason"}, "transfer": {"department_id"},
                  "cancel": {"cancel_reason"}, "dismiss": {"verification_record"}}
CANCEL_REASONS = {"duplicate": "重复登记", "error": "误登记", "other": "其他",
                  "not_accepted": "不予受理（举报）"}


@dataclass
class Settings:
    """The settings the domain core needs, taken from the app config or the CLI."""

    region: str = "WJ"
    max_upload_bytes: int = 20 * 1024 * 1024
    storage_dir: str = "instance/storage"
    photo_match_distance: int = photo_checks.DEFAULT_MATCH_DISTANCE
    image_limits: ImageLimits = field(default_factory=ImageLimits)
    import_limits: ImportLimits = field(default_factory=ImportLimits)

    @classmethod
    def from_config(cls, config) -> Settings:
        image = ImageLimits(max_pixels=config.get("EVIDENCE_MAX_PIXELS", ImageLimits.max_pixels),
                            max_side=config.get("EVIDENCE_MAX_IMAGE_SIDE", ImageLimits.max_side))
        return cls(region=config["REGION_PREFIX"], max_upload_bytes=config["MAX_UPLOAD_BYTES"],
                   storage_dir=config["STORAGE_DIR"], image_limits=image,
                   import_limits=ImportLimits.from_config(config),
                   photo_match_distance=config.get("PHOTO_MATCH_DISTANCE",
                                                   photo_checks.DEFAULT_MATCH_DISTANCE))


# what a caller that passes no settings gets (nothing changes a Settings once made)
_DEFAULT_SETTINGS = Settings()

_CASE = select(Case).where(Case.id == bindparam("case_id"))
# PostgreSQL row lock; SQLite already holds the write lock (BEGIN IMMEDIATE). The whole row
# is what the guards read (role, scope, version, status, the rules' fields): one statement.
_NEW_LOCKED_CASE = _CASE.with_for_update()
# a case already in the session is read again under the lock, over what it held
_LOCKED_CASE = _NEW_LOCKED_CASE.execution_options(populate_existing=True)


def get_case(session: Session, case_id: int, user: User | None = None, *,
             for_update: bool = False) -> Case:
    """Load a case (404 when missing or not visible to ``user``)."""
    # prepared statements: built once, their cache keys and compiled forms reused
    if not for_update:
        stmt = _CASE
    elif type(case_id) is int and session.identity_map.get(identity_key(Case, case_id)) is None:
        stmt = _NEW_LOCKED_CASE  # nothing to overwrite: the ORM skips resetting every attribute
    else:
        stmt = _LOCKED_CASE
    case = session.scalar(stmt, {"case_id": case_id})
    if case is None or (user is not None and not case.can_view(user)):
        raise NotFound("该事项不存在或无权查看")
    return case


def available_actions(session: Session, case: Case, actor: User) -> list[dict]:
    """For each trigger of the current status: may ``actor`` fire it, and if not, why."""
    actions = []
    for trigger in machine.triggers_for(case):
        refusal = policy.role_refusal(trigger, case, actor)
        reasons = refusal.rules if refusal else state_rules(session, case, trigger, actor)
        action = {"trigger": trigger, "label": trigger_label(case.kind, trigger),
                  "allowed": not reasons, "reasons": reasons}
        if trigger == "verify":
            # 以图销号: flagged photos are shown to the verifier, who decides (never a refusal)
            action["warnings"] = photo_checks.verify_warnings(session, case)
        actions.append(action)
    return actions


def transition(session: Session, case_id: int, trigger: str, actor: User, *, version: int,
               comment: str | None = None, data: dict | None = None,
               settings: Settings | None = None, now: datetime | None = None,
               require_opinion: bool = False) -> Case:
    """Fire ``trigger`` on a case and append its audit event (flushes, no commit).

    ``require_opinion``: the step comes from a page, where 上报/核查/销号 need the 意见
    (``opinion_required``) the 审批表 prints."""
    data = dict(data or {})
    settings = settings or _DEFAULT_SETTINGS
    if trigger not in machine.TRIGGERS:
        raise InvalidInput(f"未知操作“{trigger}”；可用：{', '.join(machine.TRIGGERS)}",
                           field="trigger")
    if data:
        refuse_unknown(data, TRIGGER_FIELDS.get(trigger, set()), f"操作“{trigger}”不接受字段")
    case = get_case(session, case_id, None, for_update=True)
    # the role is checked first, so a role with no business action hears why (403);
    # a department user without access to the case learns nothing about it (404)
    refusal = policy.role_refusal(trigger, case, actor)
    if refusal and "department_scope" not in refusal.rules:
        raise refusal
    if not case.can_view(actor):
        raise NotFound("该事项不存在或无权查看")
    if refusal:
        raise refusal
    if version != case.version:
        raise Conflict(f"事项 {case.display_number} 已被他人更新（当前版本 {case.version}，提交的版本 {version}），请刷新后重试",
                       current_version=case.version, status=case.status)
    if not machine.can_fire(case.status, trigger):
        raise Conflict(f"{'任务' if case.is_task else '事项'} {case.display_number} 当前状态“{case.status_label}”"
                       f"不能执行“{trigger_label(case.kind, trigger)}”",
                       current_version=case.version, status=case.status)
    failed = state_rules(session, case, trigger, actor) + input_rules(session, case, trigger,
                                                                     comment, data)
    if require_opinion and (refusal := policy.opinion_refusal(trigger, comment)):
        failed += refusal.rules
    if failed:
        raise RuleFailed(failed, rule_text(case.kind, failed))

    now = now or utcnow()
    before = case.status
    payload = _apply(session, case, trigger, actor, comment, data, settings, now)
    machine.fire(case, trigger)
    row = event_row(case, actor, trigger, from_status=before, to_status=case.status,
                    comment=(comment or "").strip() or None, payload=payload, at=now)
    if not _write_case_and_event(session, case, row, trigger, now):
        session.rollback()
        raise Conflict("案件已被他人同时更新，请刷新后重试", current_version=None, status=None)
    try:
        session.flush()  # what _apply touched besides the case row (evidence flags)
    except StaleDataError as exc:
        session.rollback()
        raise Conflict("该事项已被他人同时更新，请刷新后重试", current_version=None,
                       status=None) from exc
    notify_for_transition(session, case, trigger, actor)
    return case


# The event's INSERT also marks read the requests the step answered (one statement less on
# every transition): on PostgreSQL in a data-modifying WITH, on SQLite by the trigger
# ``audit_events_settle_requests`` (notifications.SETTLE_TRIGGER_SQLITE)
_EVENT_COLUMNS = [c.name for c in INSERT_EVENTS.table.columns if not c.primary_key]
# the event's values under names of their own: a key named after a column of
# notifications would become one more SET of the UPDATE
_EVENT_AND_SETTLE = (INSERT_EVENTS.values({c: bindparam(f"e_{c}") for c in _EVENT_COLUMNS})
                     .add_cte(SETTLE.cte("settled")))


def _insert_event_settling(session: Session, row: dict, trigger: str, now: datetime) -> bool:
    """Write the transition's event and settle its requests in the same statement.
    Returns whether they were settled."""
    kinds = SETTLED_BY.get(trigger)
    if not kinds or is_sqlite(session):
        insert_events(session, [row])  # SQLite: the event's trigger settled them
        return bool(kinds)
    params = {f"e_{c}": row.get(c) for c in _EVENT_COLUMNS}
    session.connection().execute(_EVENT_AND_SETTLE, {**params, "_case": row["case_id"],
                                                     "_kinds": list(kinds), "_now": now})
    return True


_CASE_COLUMNS = {prop.key: prop.columns[0] for prop in sa_inspect(Case).column_attrs
                 if len(prop.columns) == 1}
_UPDATES: dict[tuple[str, ...], object] = {}
_WRITES: dict[tuple[tuple[str, ...], bool], object] = {}


def _write_case_and_event(session: Session, case: Case, row: dict, trigger: str,
                          now: datetime) -> bool:
    """Write the locked case's changes, its event and settle the requests the step answered.

    PostgreSQL, when only plain columns changed: one statement, the case's guarded UPDATE
    (``_case_update``) and the settling UPDATE in data-modifying WITHs and the event's INSERT
    reading the updated row, so no event is written unless the case was (one round trip
    instead of two). Elsewhere ``_write_locked_case`` then ``_insert_event_settling``.
    Returns False when the version no longer matched (a lost race: nothing written).
    """
    keys = _changed_columns(case)
    if keys is None or is_sqlite(session):
        if not _write_locked_case(session, case):
            return False
        _insert_event_settling(session, row, trigger, now)
        return True
    kinds = SETTLED_BY.get(trigger)
    version = case.version
    params = {**{k: getattr(case, k) for k in keys}, "_id": case.id, "_old": version,
              "_new": version + 1, **{f"e_{c}": row.get(c) for c in _EVENT_COLUMNS}}
    if kinds:
        params.update({"_case": case.id, "_kinds": list(kinds), "_now": now})
    done = session.connection().execute(_case_and_event(keys, bool(kinds)), params).rowcount
    if done != 1:
        return False
    _mark_written(session, case, version + 1)
    return True


def _case_and_event(keys: tuple[str, ...], settle: bool):
    """``WITH written AS (UPDATE cases ... RETURNING id)[, settled AS (UPDATE notifications
    ... WHERE the case was written)] INSERT INTO audit_events SELECT <the event> FROM written``."""
    stmt = _WRITES.get((keys, settle))
    if stmt is None:
        events = INSERT_EVENTS.table
        written = _case_update(keys).returning(Case.__table__.c.id).cte("written")
        # each value typed as its column without a length (a cast to VARCHAR(n) would cut a
        # longer text where the INSERT refuses it)
        values = select(*[cast(bindparam(f"e_{c}"), _unbounded(events.c[c].type))
                          for c in _EVENT_COLUMNS]).select_from(written)
        # the rows the INSERT wrote (SQLAlchemy keeps an INSERT's rowcount only when asked)
        stmt = (events.insert().from_select(_EVENT_COLUMNS, values).add_cte(written)
                .execution_options(preserve_rowcount=True))
        if settle:
            stmt = stmt.add_cte(SETTLE.where(exists(select(written.c.id))).cte("settled"))
        _WRITES[(keys, settle)] = stmt
    return stmt


def _unbounded(type_):
    return String() if isinstance(type_, String) and type_.length is not None else type_


def _changed_columns(case: Case) -> tuple[str, ...] | None:
    """The case's changed column attributes (its version aside), or None when something
    other than plain columns changed (a relationship, a collection)."""
    keys = tuple(sorted(k for k in sa_inspect(case).committed_state if k != "version"))
    return keys if all(k in _CASE_COLUMNS for k in keys) else None


def _write_locked_case(session: Session, case: Case) -> bool:
    """Write the changed columns of the locked case and bump its version in one UPDATE.

    ``UPDATE cases SET <changed>, version = version + 1 WHERE id = :id AND version = :v``,
    a prepared statement per set of changed columns, then the new values are marked as
    the committed state: the ORM neither flushes the row again nor reloads it. Returns
    False when the version no longer matches (a lost race). Anything other than plain
    column changes (a relationship, a collection) goes through the ORM flush as before.
    """
    # the version in the database now: a query inside _apply may have autoflushed the row
    # (the ORM bumps the version on each flush of it, and so does this UPDATE)
    version = case.version
    keys = _changed_columns(case)
    if keys is None:
        session.flush()
        return True
    values = {k: getattr(case, k) for k in keys}
    done = session.connection().execute(
        _case_update(keys), {**values, "_id": case.id, "_old": version, "_new": version + 1}
    ).rowcount
    if done != 1:
        return False
    _mark_written(session, case, version + 1)
    return True


def _case_update(keys: tuple[str, ...]):
    """``UPDATE cases SET <keys>, version = :_new WHERE id = :_id AND version = :_old``."""
    stmt = _UPDATES.get(keys)
    if stmt is None:
        table = Case.__table__
        stmt = (table.update()
                .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_old"))
                .values({**{_CASE_COLUMNS[k].name: bindparam(k) for k in keys},
                         "version": bindparam("_new")}))
        _UPDATES[keys] = stmt
    return stmt


def _mark_written(session: Session, case: Case, version: int) -> None:
    """Every change of the row is in the database now: mark the instance clean, exactly as
    the unit of work does after its own flush (so the next flush skips it, nothing reloads)."""
    set_committed_value(case, "version", version)
    state = sa_inspect(case)
    state._commit_all(state.dict, session.identity_map)


def create_registered(session: Session, cases: list[Case], actor: User, *,
                      create_payload, number_year: int | None = None,
                      settings: Settings | None = None, now: datetime | None = None) -> list[Case]:
    """Create new draft cases and 挂号交办 them, in bulk (a task-list import).

    Per case, exactly what ``record(create)`` then ``transition(register)`` write: the same
    guards (role, state, the register rules), the ``create`` and ``register`` events of its
    chain, its number and its notices. Written without the ORM unit of work: one block of
    numbers, one block of ids, then the registered rows with their chain heads, their
    co-departments and their events, each in one COPY (PostgreSQL) or executemany (SQLite).
    ``create_payload(case)`` gives the ``create`` event's payload once the case has its
    id; ``number_year`` numbers the cases in that year (default: today's).

    The cases are not put in the session (attaching thousands of objects costs more than
    writing them): they come back as written, with their ids, numbers, statuses and chain
    heads, for the caller to read; ``session.get`` loads one for further ORM work.
    """
    settings = settings or Settings()
    now = now or utcnow()
    for case in cases:
        if case.status != "draft" or case.id is not None:
            raise Conflict("只有新建的草稿可以批量挂号交办", current_version=case.version,
                           status=case.status)
        if refusal := policy.role_refusal("register", case, actor):
            raise refusal
        failed = state_rules(session, case, "register", actor) + input_rules(
            session, case, "register", None, {})
        if failed:
            raise RuleFailed(failed)
    year = number_year or local_today(now).year
    by_source: dict[str, list[Case]] = {}
    for case in cases:
        if not case.number:
            by_source.setdefault(case.source, []).append(case)
    for source, group in by_source.items():
        numbers = case_numbers(session, settings.region, year, source, len(group))
        for case, number in zip(group, numbers, strict=True):
            case.number = number
    steps = []
    for case in cases:
        before = case.status
        payload = _apply(session, case, "register", actor, None, {}, settings, now)
        machine.fire(case, "register")
        steps.append((before, payload))
    # the ids first, so that each row is written once, registered, with its chain head
    events = []
    for case, new_id, (before, payload) in zip(
            cases, reserve_ids(session, Case.__table__, len(cases)), steps, strict=True):
        case.id, case.version = new_id, 1
        events.append(event_row(case, actor, "create", from_status=before, to_status=before,
                                payload=create_payload(case), at=now))
        events.append(event_row(case, actor, "register", from_status=before,
                                to_status=case.status, payload=payload, at=now))
        case.version = 2  # created, then registered: as one case at a time
    insert_rows(session, Case.__table__, [_new_row(case) for case in cases])
    insert_rows(session, case_co_departments, [
        {"case_id": case.id, "department_id": d.id}
        for case in cases for d in case.co_departments])
    insert_events(session, events)
    notify_registered(session, cases, actor, now)
    return cases


_MANY_TO_ONE = [(rel.key, rel.local_remote_pairs[0][0].key)
                for rel in sa_inspect(Case).relationships if rel.direction is MANYTOONE
                and len(rel.local_remote_pairs) == 1]


def _new_row(case: Case) -> dict:
    """The INSERT values of a new case: what was set on it (a related object set without
    its key gives the key), the columns' defaults for the rest."""
    given = case.__dict__
    row = {_CASE_COLUMNS[k].name: v for k, v in given.items() if k in _CASE_COLUMNS}
    for rel, column in _MANY_TO_ONE:
        if given.get(rel) is not None and row.get(column) is None:
            row[column] = given[rel].id
    return row


def _apply(session, case: Case, trigger, actor, comment, data, settings, now) -> dict:
    """Side effects of a trigger on the case's fields; returns the audit payload."""
    payload: dict = {}
    if trigger == "register":
        case.number = case.number or case_number(session, settings.region,
                                                 local_today(now).year, case.source)
        case.registered_at = now
        case.original_deadline = case.original_deadline or case.deadline
        payload = {"number": case.number, "department_id": case.department_id,
                   "deadline": case.deadline.isoformat() if case.deadline else None}
        if case.long_term:  # 长期坚持: no end date, or a 立行立改 one kept up after it
            payload["long_term"] = True
        # a 补录 item whose deadline has already passed is overdue from the start
        case.overdue = bool(case.deadline and case.deadline < local_today(now))
    elif trigger == "accept":
        case.accepted_at = case.accepted_at or now
    elif trigger == "report":
        if data.get("statement"):
            case.rectification_statement = str(data["statement"]).strip()
        case.reported_by_id, case.reported_at = actor.id, now
        files = session.scalars(select(Evidence).where(Evidence.case_id == case.id,
                                                       Evidence.round == case.round)).all()
        for ev in files:
            ev.submitted = True
        payload = {"round": case.round, "statement": case.rectification_statement,
                   "evidence": sorted(ev.sha256 for ev in files)}
        if str(data.get("target_reason") or "").strip():  # why a target was not met
            payload["target_reason"] = str(data["target_reason"]).strip()
    elif trigger == "verify":
        case.verified_by_id, case.verified_at = actor.id, now
        if warnings := photo_checks.verify_warnings(session, case):
            payload = {"warnings": warnings}  # the chain keeps what the verifier was shown
    elif trigger == "close":
        case.closed_by_id, case.closed_at = actor.id, now
    elif trigger in ("return", "reject", "reopen"):
        if trigger == "return":
            case.returns_count += 1
        # a new round: the returned round keeps its files, new evidence is required
        case.round += 1
        case.verified_by_id = case.verified_at = None
        if trigger == "reopen":
            case.closed_by_id = case.closed_at = None
            case.dismissed_at = case.dismissal_record = None
        payload = {"round": case.round}
    elif trigger == "cancel":
        reason = data.get("cancel_reason") or "other"
        if not is_choice(reason, CANCEL_REASONS):
            raise InvalidInput(f"撤销原因须为：{', '.join(CANCEL_REASONS)}", field="cancel_reason")
        if reason == "not_accepted" and not (case.is_complaint and case.status == "draft"):
            raise RuleFailed(["not_accepted_draft_only"])
        case.cancelled_at = now
        payload = {"cancel_reason": reason}
    elif trigger == "dismiss":
        record_text = str(data["verification_record"]).strip()
        case.closed_by_id, case.closed_at = actor.id, now
        case.dismissed_at, case.dismissal_record = now, record_text
        files = session.scalars(select(Evidence).where(
            Evidence.case_id == case.id, Evidence.round == case.round,
            Evidence.category == "verification")).all()
        payload = {"verification_record": record_text, "round": case.round,
                   "evidence": sorted(ev.sha256 for ev in files)}
    elif trigger == "transfer":
        old = case.department_id
        case.department_id = data["department_id"]
        case.accepted_at = None
        payload = {"from_department_id": old, "to_department_id": case.department_id}
    return payload


def lock_for_record(session: Session, case_id: int, actor: User) -> Case:
    """Load and lock a case for a recorded operation that keeps its status."""
    return get_case(session, case_id, actor, for_update=True)


def record(session: Session, case: Case, actor: User, action: str, *, comment=None,
           payload=None, now=None):
    """Append a non-state event (evidence, comment, progress …) to the chain."""
    return append_event(session, case, actor, action, from_status=case.status,
                        to_status=case.status, comment=comment, payload=payload, at=now)


def store_upload(data: bytes, filename: str | None, settings: Settings,
                 storage: Storage | None = None) -> tuple[str, str, str]:
    """Check an uploaded file, store it and a photo's renditions; return (name, type, sha256).

    A photo is decoded here, at upload, into the thumbnail and print renditions that pages
    and records use, so they never decode the original again.
    """
    name, mime = check_upload(data, filename, settings.max_upload_bytes, settings.image_limits)
    renditions = {}
    if mime in IMAGE_TYPES:
        try:
            renditions = make_renditions(data)
        except (OSError, ValueError, SyntaxError, EOFError):
            raise InvalidInput(f"图片“{name}”已损坏，无法读取", field="file") from None
    storage = storage or Storage(settings.storage_dir)
    digest = storage.put(data)
    for kind, blob in renditions.items():
        storage.put_rendition(digest, kind, blob)
    return name, mime, digest


def upload_evidence(session: Session, case_id: int, actor: User, *, data: bytes,
                    filename: str | None, category: str | None, note: str | None = None,
                    settings: Settings, storage: Storage | None = None,
                    now: datetime | None = None) -> Evidence:
    """Store a file for the case's current round and record it in the chain."""
    case = lock_for_record(session, case_id, actor)
    category = category or "other"
    # 整改前/现场照片 of the registrar (draft and 挂号), else the department's own material
    registering = (category in REGISTRATION_PHOTO_CATEGORIES
                   and policy.registration_photo_refusal(case, actor) is None)
    if not registering and (refusal := policy.evidence_refusal(case, actor)):
        if policy.registration_photo_refusal(case, actor) is None:
            # the registrar's own photos are allowed; every other material is the unit's (403,
            # naming the roles that may upload it)
            labels = "、".join(EVIDENCE_CATEGORIES[k] for k in REGISTRATION_PHOTO_CATEGORIES)
            raise Forbidden(f"登记时只能上传{labels}；其他材料由责任单位上传",
                            needed_roles=getattr(refusal, "needed_roles", None)
                            or sorted(policy.DEPARTMENT_ROLES), rules=["role_required"])
        raise refusal
    if not is_choice(category, EVIDENCE_CATEGORIES) or category in OFFICE_EVIDENCE_CATEGORIES:
        allowed = [EVIDENCE_CATEGORIES[k] for k in EVIDENCE_CATEGORIES
                   if k not in OFFICE_EVIDENCE_CATEGORIES]
        raise InvalidInput(f"材料类别须为：{'、'.join(allowed)}", field="category")
    name, mime, digest = store_upload(data, filename, settings, storage)
    ev = Evidence(case_id=case.id, round=case.round, category=category, filename=name,
                  content_type=mime, size=len(data), sha256=digest, note=note,
                  uploaded_by_id=actor.id, **({"uploaded_at": now} if now else {}))
    session.add(ev)
    photo = photo_checks.examine_upload(session, case, ev, data, settings.photo_match_distance)
    record(session, case, actor, "evidence", now=now, payload={
        "filename": name, "sha256": digest, "size": len(data), "category": category,
        "round": case.round, **photo})
    session.flush()
    return ev


def draft_statement(session: Session, case_id: int, actor: User, statement: str) -> Case:
    """A department user drafts the rectification statement; the head submits it later."""
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.statement_refusal(case, actor):
        raise refusal
    statement = (statement or "").strip()
    if not statement:
        raise InvalidInput("整改情况说明不能为空", field="statement")
    case.rectification_statement = statement
    record(session, case, actor, "statement", payload={"statement": statement})
    session.flush()
    if actor.role != DEPT_HEAD:
        notify_to_report(session, case, actor)
    return case


def set_plan(session: Session, case_id: int, actor: User, plan: dict, *,
             signed_copy: tuple[bytes, str | None] | None = None,
             settings: Settings | None = None, storage: Storage | None = None) -> Case:
    """Save the 治理方案 of a hazard: the six elements of 16号令第十五条.

    The old 五落实 keys are accepted as aliases of the element they fill. ``signed_copy``
    (bytes, file name) is the copy signed by the unit's 主要负责人, kept as evidence of
    category ``signed_plan``.
    """
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.plan_refusal(case, actor):
        raise refusal
    refuse_unknown(plan, set(PLAN_ELEMENTS) | set(PLAN_ALIASES), "治理方案不接受字段")
    for old, new in PLAN_ALIASES.items():
        if old != new and old in plan and new in plan:
            raise InvalidInput(f"{old} 与 {new} 是同一项（{PLAN_ELEMENTS[new]}），只能填一个",
                               field=old)
    clean = normalise_plan({k: str(v).strip() for k, v in plan.items() if v is not None})
    for key, value in clean.items():
        if len(value) > 5000:
            raise InvalidInput(f"{PLAN_ELEMENTS[key]}过长（最多 5000 字）", field=key)
    if not clean and signed_copy is None:
        raise InvalidInput("须填写治理方案内容或上传签批件", field="objectives")
    signed = None
    if signed_copy is not None:
        settings = settings or Settings()
        signed = upload_evidence(session, case.id, actor, data=signed_copy[0],
                                 filename=signed_copy[1], category="signed_plan",
                                 note="治理方案（主要负责人签批）", settings=settings,
                                 storage=storage)
    case.plan = {**case.plan, **clean}
    record(session, case, actor, "plan", payload={
        "plan": case.plan, "complete": case.plan_complete,
        **({"signed_copy": signed.sha256} if signed else {})})
    session.flush()
    return case


def _verifier_entries(session: Session, case: Case, verifiers) -> list[dict]:
    """Users (``{"user_id"}``) or named persons with their posts (``{"name", "post"}``, or
    the text “姓名（职务）”); at least two, none of them the one who reported the work."""
    if not isinstance(verifiers, list):
        raise InvalidInput("verifiers 须为核查人列表", field="verifiers")
    entries: list[dict] = []
    for raw in verifiers:
        if isinstance(raw, str):
            text = raw.strip().replace("(", "（").replace(")", "）")
            if not text:
                continue
            name, _, post = text.partition("（")
            entries.append({"name": name.strip(), "post": post.rstrip("）").strip() or None,
                            "user_id": None})
        elif isinstance(raw, dict) and raw.get("user_id") is not None:
            uid = raw["user_id"]
            user = session.get(User, uid) if isinstance(uid, int) and not isinstance(uid, bool) else None
            if user is None or not user.active:
                raise InvalidInput(f"核查人用户 {uid} 不存在或已停用", field="verifiers")
            post = raw.get("post") if isinstance(raw.get("post"), str) and raw["post"].strip() else None
            entries.append({"name": user.display_name, "post": (post or "").strip() or (
                f"{user.department.name if user.department else ''}{user.role_label}"),
                "user_id": user.id})
        elif isinstance(raw, dict) and isinstance(raw.get("name"), str):
            post = raw.get("post")
            if post is not None and not isinstance(post, str):
                raise InvalidInput("核查人职务须为文本", field="verifiers")
            if not raw["name"].strip():
                continue
            entries.append({"name": raw["name"].strip(), "post": (post or "").strip() or None,
                            "user_id": None})
        else:
            raise InvalidInput("核查人须为“姓名（职务）”、{name, post} 或 {user_id}",
                               field="verifiers")
    if not entries:
        raise InvalidInput("须填写核查人", field="verifiers")
    if any(len(e["name"]) > 60 or len(e["post"] or "") > 60 for e in entries):
        raise InvalidInput("核查人姓名或职务过长（最多 60 字）", field="verifiers")
    failed = []
    people = {e["user_id"] or e["name"] for e in entries}
    if len(people) < 2:
        failed.append("verifiers_too_few")
    if any(not e["post"] for e in entries):
        failed.append("verifier_post_required")
    reporter = case.reported_by
    if reporter is not None and any(e["user_id"] == reporter.id or (
            e["user_id"] is None and e["name"] == reporter.display_name) for e in entries):
        failed.append("verifier_is_reporter")
    if failed:
        raise RuleFailed(failed)
    return entries


def add_onsite_verification(session: Session, case_id: int, actor: User, *, visited_on: date,
                            verifiers: list, findings: str,
                            purpose: str = "verification") -> OnsiteVerification:
    """Record a 现场核查 of the current round, or a 复产现场审查 (``resumption_review``)."""
    if not is_choice(purpose, ONSITE_PURPOSES):
        raise InvalidInput("purpose 须为 verification（现场核查）或 resumption_review（复产现场审查）",
                           field="purpose")
    case = lock_for_record(session, case_id, actor)
    refusal = (policy.onsite_refusal(case, actor) if purpose == "verification"
               else policy.resumption_review_refusal(case, actor))
    if refusal:
        raise refusal
    if not isinstance(findings, str) or not findings.strip():
        raise InvalidInput("须填写核查情况", field="findings")
    if visited_on > local_today():
        raise InvalidInput("核查日期不能晚于今天", field="visited_on")
    entries = _verifier_entries(session, case, verifiers)
    rec = OnsiteVerification(case_id=case.id, round=case.round, visited_on=visited_on,
                             verifiers_json=json.dumps(entries, ensure_ascii=False),
                             findings=findings.strip(), purpose=purpose, recorded_by_id=actor.id)
    session.add(rec)
    onsite_action = ONSITE_ACTIONS[purpose]
    record(session, case, actor, onsite_action, payload={"round": case.round, "visited_on": visited_on.isoformat(),
                    "verifiers": rec.verifiers, "findings": findings.strip()})
    session.flush()
    return rec


# --- 交办下级 (属地 hierarchy) ------------------------------------------------------------------
# what a child case copies from its parent: the matter, the enterprise and the 台账 columns
CHILD_COPIED = ("kind", "source", "grade", "description", "found_on", "found_by", "industry",
                "town", "responsible_unit", "credit_code", "location", "basis",
                "measures_required", "enterprise_id", "clue_type", "hazard_category",
                "rectification_type", "shutdown", "suspended", "interim_measures",
                "supervisor_name", "long_term")


def delegate(session: Session, case_id: int, actor: User, *, unit_id: int,
             deadline: date | None = None, comment: str | None = None,
             now: datetime | None = None) -> Case:
    """A town passes its case down to a 村/社区 or 网格: a child case on the same machine,
    already 交办 (assigned) to that unit, linked both ways and recorded on both chains."""
    parent = get_case(session, case_id, actor, for_update=True)
    unit = session.get(Department, unit_id)
    if refusal := policy.delegation_refusal(parent, actor, unit):
        raise refusal
    now = now or utcnow()
    deadline = deadline or parent.deadline
    if deadline is None and not parent.long_term:
        raise InvalidInput("须填写下级整改期限", field="deadline")
    if deadline is not None and parent.deadline and deadline > parent.deadline:
        raise InvalidInput("下级整改期限不能晚于本事项的整改期限", field="deadline")
    if deadline is not None and deadline < local_today(now):
        raise InvalidInput("下级整改期限不能早于今天", field="deadline")
    siblings = session.scalar(select(func.count()).select_from(Case).where(
        Case.parent_case_id == parent.id)) or 0
    child = Case(**{k: getattr(parent, k) for k in CHILD_COPIED},
                 title=f"{parent.title}（交办{unit.name}）"[:200], status="assigned",
                 number=f"{parent.number}-{siblings + 1}" if parent.number else None,
                 parent_case_id=parent.id, delegated_by_unit_id=actor.department_id,
                 department_id=unit.id, territorial_unit_id=unit.id, deadline=deadline,
                 original_deadline=deadline, created_by_id=actor.id, created_at=now,
                 registered_at=now)
    session.add(child)
    session.flush()
    append_event(session, child, actor, "delegated", from_status=None, to_status="assigned",
                 comment=(comment or "").strip() or None,
                 payload={"parent_case_id": parent.id, "parent_number": parent.number,
                          "unit_id": unit.id,
                          "deadline": deadline.isoformat() if deadline else None}, at=now)
    record(session, parent, actor, "delegate", comment=(comment or "").strip() or None,
           payload={"child_case_id": child.id, "child_number": child.number,
                    "unit_id": unit.id,
                    "deadline": deadline.isoformat() if deadline else None}, now=now)
    session.flush()
    notify(session, department_user_ids(session, unit.id), "assigned",
           f"上级交办：{child.display_number} {child.title}"[:200],
           f"请签收并在 {deadline.isoformat()} 前完成整改" if deadline else "请签收，长期坚持",
           case_id=child.id, skip=actor.id,
           now=now)
    return child


def set_duties(session: Session, case_id: int, actor: User, *, territorial: list[str] | None,
               industry: list[str] | None, territorial_unit_id: int | None = None,
               now: datetime | None = None) -> Case:
    """The office names the 属地 unit and what 属地 and 行业 each answer for (三管三必须)."""
    if refusal := policy.duties_refusal(actor):
        raise refusal
    case = get_case(session, case_id, actor, for_update=True)
    payload: dict = {}
    for name, value in (("territorial_duties", territorial), ("industry_duties", industry)):
        if value is None:
            continue
        if not isinstance(value, list) or any(not isinstance(v, str) or v not in DUTIES
                                              for v in value):
            raise InvalidInput(f"{name} 须为职责列表：{', '.join(DUTIES)}", field=name)
        setattr(case, name, ",".join(dict.fromkeys(value)) or None)
        payload[name] = list(dict.fromkeys(value))
    if territorial_unit_id is not None:
        unit = session.get(Department, territorial_unit_id)
        if unit is None or not unit.active or unit.kind not in ("town", "village", "grid"):
            raise InvalidInput("属地单位须为镇（街道）、村（社区）或网格", field="territorial_unit_id")
        case.territorial_unit_id = unit.id
        payload["territorial_unit_id"] = unit.id
    record(session, case, actor, "duties", payload=payload, now=now)
    session.flush()
    return case
