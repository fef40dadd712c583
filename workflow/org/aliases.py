"""Department aliases and host bodies: other names a document uses for a unit.

An alias row maps a name as written (canonical spelling) to a department:

* ``alias``: another name of the same unit (区交通局 → 区交通运输局; 区委组织部（考核办）
  → 区考核办, or the reverse, as the administrator decides);
* ``host``: an ad hoc body with no staff of its own, whose work its host unit carries
  (区专治办 → hosted by 区安委办; 区政府事故调查组 → hosted by 区应急管理局).

Importers resolve a name through this table before looking for a department of that
name, so neither kind ever becomes a department. Set by the administrator or the
区安委办 (CLI ``departments alias`` or the admin page); every change is in the admin log.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.org import adminlog
from workflow.org.models import Department, User
from workflow.org.roles import ADMIN, OFFICE_ROLES
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.errors import Forbidden, InvalidInput, NotFound

ALIAS_KINDS = {"alias": "别名", "host": "由…承办"}
ALIAS_EDITORS = frozenset({ADMIN, *OFFICE_ROLES})
MAX_ALIAS = 100


def canonical(text: str) -> str:
    """One spelling per name: NFKC, full-width parentheses, no whitespace."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("(", "（").replace(")", "）")
    return re.sub(r"\s+", "", text).strip("。.")


class DepartmentAlias(Base):
    __tablename__ = "department_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(String(MAX_ALIAS), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"),
                                               index=True)
    kind: Mapped[str] = mapped_column(String(10), default="alias")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        if self.kind == "host":
            return f"{self.alias}（由{self.department.name}承办）"
        return f"{self.alias} → {self.department.name}"

    def to_dict(self) -> dict:
        return {"id": self.id, "alias": self.alias, "department_id": self.department_id,
                "department": self.department.name, "kind": self.kind,
                "kind_label": ALIAS_KINDS[self.kind], "created_at": iso_utc(self.created_at)}


def aliases_by_name(session: Session) -> dict[str, DepartmentAlias]:
    return {a.alias: a for a in session.scalars(select(DepartmentAlias))}


def list_aliases(session: Session) -> list[DepartmentAlias]:
    return list(session.scalars(select(DepartmentAlias).order_by(DepartmentAlias.alias)))


def _check_editor(actor: User | None) -> None:
    if actor is not None and actor.role not in ALIAS_EDITORS:
        raise Forbidden("部门别名由系统管理员或区安委办维护", needed_roles=sorted(ALIAS_EDITORS),
                        rules=["role_required"])


def _target(session: Session, target) -> Department:
    if isinstance(target, int) or (isinstance(target, str) and target.isdigit()):
        dept = session.get(Department, int(target))
    else:
        name = canonical(str(target or ""))
        dept = next((d for d in session.scalars(select(Department)) if canonical(d.name) == name),
                    None)
        if dept is None:  # the target may itself be an alias: follow it once
            row = session.scalar(select(DepartmentAlias).where(DepartmentAlias.alias == name))
            dept = row.department if row else None
    if dept is None:
        raise InvalidInput(f"目标部门“{target}”不存在（须为系统中已有的部门）", field="target")
    return dept


def set_alias(session: Session, actor: User | None, alias: str, target, *,
              kind: str = "alias") -> DepartmentAlias:
    """Map ``alias`` to the department ``target`` (id or name); ``actor`` None: the CLI.

    Idempotent: setting the same mapping again changes nothing. Refused when a department
    of that very name exists (rename or merge it instead), so no unit has two homes.
    """
    _check_editor(actor)
    if kind not in ALIAS_KINDS:
        raise InvalidInput(f"类型须为：{', '.join(ALIAS_KINDS)}", field="kind")
    name = canonical(alias)
    if not name:
        raise InvalidInput("须填写别名", field="alias")
    if len(name) > MAX_ALIAS:
        raise InvalidInput(f"别名过长（最多 {MAX_ALIAS} 字）", field="alias")
    dept = _target(session, target)
    if canonical(dept.name) == name:
        raise InvalidInput("别名与目标部门同名", field="alias")
    clash = next((d for d in session.scalars(select(Department)) if canonical(d.name) == name), None)
    if clash is not None:
        raise InvalidInput(f"系统中已有名为“{clash.name}”的部门，不能再作为别名；"
                           "如是同一单位，请先停用或改名该部门", field="alias")
    row = session.scalar(select(DepartmentAlias).where(DepartmentAlias.alias == name))
    if row is not None and row.department_id == dept.id and row.kind == kind:
        return row
    before = {"department_id": row.department_id, "kind": row.kind} if row else None
    if row is None:
        row = DepartmentAlias(alias=name, department_id=dept.id, kind=kind,
                              created_by_id=getattr(actor, "id", None), created_at=utcnow())
        session.add(row)
    else:
        row.department_id, row.kind = dept.id, kind
    session.flush()
    session.refresh(row)
    adminlog.record_act(session, actor, "department_alias_set", "department_alias", row.id, {
        "alias": name, "department_id": dept.id, "department": dept.name, "kind": kind,
        "before": before})
    return row


def remove_alias(session: Session, actor: User | None, alias_id: int) -> None:
    _check_editor(actor)
    row = session.get(DepartmentAlias, alias_id)
    if row is None:
        raise NotFound(f"别名 {alias_id} 不存在")
    payload = {"alias": row.alias, "department_id": row.department_id, "kind": row.kind}
    session.delete(row)
    session.flush()
    adminlog.record_act(session, actor, "department_alias_remove", "department_alias", alias_id,
                        payload)
