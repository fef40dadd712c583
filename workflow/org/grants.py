"""Role grants that need a second person (三员分立).

The system administrator asks; the grant takes effect only when an approver of
that role (``roles.grant_approvers``) who is neither the asker nor the grantee
approves it. Every request and decision is an event of the admin log.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.org import adminlog
from workflow.org.models import Department, User
from workflow.org.names import same_person
from workflow.org.roles import ADMIN, PENDING_ROLE, ROLE_LABELS, grant_approvers
from workflow.platform.base import Base, utcnow
from workflow.platform.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleFailed

STATUS_LABELS = {"pending": "待批准", "approved": "已批准", "refused": "不予批准"}


class RoleGrant(Base):
    __tablename__ = "role_grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    from_role: Mapped[str] = mapped_column(String(30))
    to_role: Mapped[str] = mapped_column(String(30))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    comment: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    department: Mapped[Department | None] = relationship()

    @property
    def to_label(self) -> str:
        return ROLE_LABELS.get(self.to_role, self.to_role)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def new_account(self) -> bool:
        return self.from_role == PENDING_ROLE


def pending_for(session: Session, user_id: int) -> RoleGrant | None:
    return session.scalar(select(RoleGrant).where(RoleGrant.user_id == user_id,
                                                  RoleGrant.status == "pending"))


def request_grant(session: Session, actor: User, user: User, role: str,
                  department: Department | None) -> RoleGrant:
    """Ask for ``role`` for ``user``; nothing changes on the account until approved."""
    if pending_for(session, user.id) is not None:
        raise Conflict(f"用户 {user.username} 已有待批准的角色授权，请待批准或不予批准后再申请",
                       status="pending")
    grant = RoleGrant(user_id=user.id, from_role=user.role, to_role=role,
                      department_id=department.id if department else None,
                      requested_by_id=actor.id, requested_at=utcnow())
    session.add(grant)
    session.flush()
    adminlog.record_act(session, actor, "role_grant_requested", "role_grant", grant.id, {
        "user": adminlog.user_ref(user), "from_role": grant.from_role, "to_role": role,
        "department_id": grant.department_id})
    return grant


def decision_refusal(grant: RoleGrant, actor: User) -> Forbidden | RuleFailed | None:
    """Why ``actor`` may not decide ``grant``, or None."""
    approvers = grant_approvers(grant.to_role)
    if actor.role not in approvers:
        names = "、".join(ROLE_LABELS[r] for r in sorted(approvers))
        return Forbidden(f"授予“{grant.to_label}”角色须由{names}批准（当前角色：{actor.role_label}）",
                         needed_roles=sorted(approvers), rules=["role_required"])
    failed = []
    if same_person(actor, grant.requested_by):
        failed.append("own_request")
    if same_person(actor, grant.user):
        failed.append("own_grant")
    return RuleFailed(failed) if failed else None


def can_decide(grant: RoleGrant, actor: User) -> bool:
    return grant.status == "pending" and decision_refusal(grant, actor) is None


def decide(session: Session, actor: User, grant_id: int, approve: bool,
           comment: str | None = None, *, check_names=None) -> RoleGrant:
    """Approve (the role takes effect) or refuse a pending grant.

    ``check_names(user)`` re-checks the account's names before a new account is
    enabled (display names stay unique among active users).
    """
    grant = session.get(RoleGrant, grant_id)
    if grant is None:
        raise NotFound(f"授权申请 {grant_id} 不存在")
    if refusal := decision_refusal(grant, actor):
        raise refusal
    comment = (comment or "").strip() or None
    if comment and len(comment) > 500:
        raise InvalidInput("意见过长（最多 500 字）", field="comment")
    if not approve and not comment:
        raise RuleFailed(["comment_required"])
    user = grant.user
    if approve and grant.new_account and check_names is not None:
        check_names(user)
    now = utcnow()
    # Guarded: of two approvers acting at once, one wins and the other gets 409.
    won = session.execute(update(RoleGrant).where(RoleGrant.id == grant.id,
                                                  RoleGrant.status == "pending")
                          .values(status="approved" if approve else "refused",
                                  decided_by_id=actor.id, decided_at=now, comment=comment)
                          .execution_options(synchronize_session=False)).rowcount
    if not won:
        session.refresh(grant)
        raise Conflict("该授权申请已由他人处理", status=grant.status)
    session.refresh(grant)
    if approve:
        user.role = grant.to_role
        user.department_id = grant.department_id
        if grant.new_account:
            user.active = True
    session.flush()
    adminlog.record_act(session, actor, "role_grant_approved" if approve else "role_grant_refused",
                    "role_grant", grant.id, {
                        "user": adminlog.user_ref(user), "from_role": grant.from_role,
                        "to_role": grant.to_role, "department_id": grant.department_id,
                        "requested_by": adminlog.user_ref(grant.requested_by),
                        "comment": comment})
    return grant


def grants_for(session: Session, actor: User, status: str | None = None,
               limit: int = 200) -> list[RoleGrant]:
    """Grants for the listing page, newest first."""
    if actor.role not in (ADMIN, *grant_approvers("office_staff")):
        raise Forbidden("角色授权由系统管理员申请、区安委办主任审批",
                        needed_roles=sorted({ADMIN, *grant_approvers("office_staff")}),
                        rules=["role_required"])
    query = select(RoleGrant).order_by(RoleGrant.id.desc()).limit(limit)
    if status:
        query = query.where(RoleGrant.status == status)
    return list(session.scalars(query))
