"""Bulk actions on a selection of cases: each row through the same service path.

One request, many cases: 签收 (or any other trigger of the state machine), 催办 and
延期审批. Each row runs inside its own savepoint and through exactly the function a
single request calls (``service.transition``, ``supervision.manual_alert``,
``extensions.decide_extension``), so it is guarded the same way (role, scope, version,
rules) and writes its own audit event. A refused row is rolled back to its savepoint —
never half-applied — and reported with its code; the rows that went through are
committed together by the caller. On PostgreSQL each changed row stays locked until that
commit, so a single request racing a bulk row either waits and then finds a new version
(409) or wins first and the bulk row finds the stale version (409): never both.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core import machine, policy, service
from workflow.core.cases import Case
from workflow.org.models import User
from workflow.platform.errors import Conflict, DomainError, InvalidInput, NotFound, RuleFailed
from workflow.problems import extensions, supervision

# Actions beyond the state machine's triggers that a selection can take
EXTRA_ACTIONS = {"urge": "催办", "approve_extension": "延期审批（批准）"}
# transfer and dismiss need a field of their own per case: not for a selection
BULK_TRIGGERS = tuple(t for t in machine.TRIGGERS if t not in ("transfer", "dismiss")) \
    + tuple(EXTRA_ACTIONS)
MAX_ITEMS = 500  # one screen of a queue and more; a district's largest selection


def parse_items(items) -> list[tuple[int, int]]:
    """``[{"id", "version"}]`` → [(id, version)]; a case named twice is tried twice (the
    second finds the version the first left: 409)."""
    if not isinstance(items, list) or not items:
        raise InvalidInput("items 须为非空数组：[{\"id\": 事项编号, \"version\": 版本号}]", field="items")
    if len(items) > MAX_ITEMS:
        raise InvalidInput(f"一次最多处理 {MAX_ITEMS} 件", field="items")
    out = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or set(item) != {"id", "version"}:
            raise InvalidInput(f"items 第 {n} 项须为 {{\"id\", \"version\"}}", field="items")
        # JSON Schema counts 31.0 as an integer: take integers written that way
        ids = tuple(int(v) if isinstance(v, float) and v.is_integer() else v
                    for v in (item["id"], item["version"]))
        if any(isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 2**31 for v in ids):
            raise InvalidInput(f"items 第 {n} 项的 id 和 version 须为正整数", field="items")
        out.append(ids)
    return out


def _pending_extension(session: Session, case: Case):
    return session.scalar(select(extensions.ExtensionRequest).where(
        extensions.ExtensionRequest.case_id == case.id,
        extensions.ExtensionRequest.status == "pending").limit(1))


def _apply_one(session: Session, actor: User, trigger: str, case_id: int, version: int,
               comment, settings) -> Case:
    if trigger in machine.TRIGGERS:
        return service.transition(session, case_id, trigger, actor, version=version,
                                  comment=comment, settings=settings)
    # 催办 and 延期审批 keep the case's status; the selection still names the version seen
    if trigger == "urge" and actor.role not in policy.SUPERVISION_ROLES["urge"]:
        raise policy.refuse_role(policy.SUPERVISION_ROLES["urge"], "催办", actor)
    if trigger == "approve_extension" and not (actor.role in policy.OFFICE_ROLES):
        raise policy.refuse_role(policy.OFFICE_ROLES, "审批延期", actor)
    case = service.get_case(session, case_id, actor, for_update=True)
    if case.version != version:
        raise Conflict(f"事项已被他人更新（当前版本 {case.version}，提交的版本 {version}），请刷新后重试",
                       current_version=case.version, status=case.status)
    if trigger == "urge":
        supervision.manual_alert(session, case_id, actor, "urge", comment)
    else:
        ext = _pending_extension(session, case)
        if ext is None:
            raise RuleFailed(["extension_pending_required"])
        extensions.decide_extension(session, ext.id, actor, approve=True, comment=comment)
    session.flush()
    return case


def _row(case_id: int, case: Case | None, exc: DomainError | None) -> dict:
    if exc is None:
        return {"id": case_id, "ok": True, "status": case.status, "version": case.version,
                "error": None, "rules": [], "message": None}
    extra = exc.extra
    rules = list(extra.get("rules") or getattr(exc, "rules", None) or [])
    return {"id": case_id, "ok": False, "status": extra.get("status"),
            "version": extra.get("current_version"), "error": exc.code, "rules": rules,
            "message": exc.message}


def bulk_apply(session: Session, actor: User, trigger, items, *, comment=None,
               settings=None) -> list[dict]:
    """Apply ``trigger`` to each (id, version); one result per row, in the given order.

    Flushes, never commits: the caller commits once, and every done row lands with its
    audit event. ``items`` is already parsed (``parse_items``).
    """
    if not isinstance(trigger, str) or trigger not in BULK_TRIGGERS:
        raise InvalidInput(f"未知操作“{trigger}”；可用：{', '.join(BULK_TRIGGERS)}", field="trigger")
    if comment is not None and not isinstance(comment, str):
        raise InvalidInput("comment 须为文本", field="comment")
    results = []
    for case_id, version in items:
        savepoint = session.begin_nested()
        try:
            case = _apply_one(session, actor, trigger, case_id, version, comment, settings)
        except DomainError as exc:
            if not savepoint.is_active:  # the whole transaction was rolled back under us
                raise Conflict("批量操作与其他操作同时更新了同一事项，整批未执行，请刷新后重试") from exc
            savepoint.rollback()
            if isinstance(exc, NotFound):  # not visible: say no more than a single request would
                exc.extra.pop("status", None)
            results.append(_row(case_id, None, exc))
            continue
        savepoint.commit()
        results.append(_row(case_id, case, None))
    return results
