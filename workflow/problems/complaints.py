"""监督举报 handled to the end: the reporter protected, 核实, 答复, 奖励, 受理期限.

The reporter's name and contact are stored on the case and shown masked to
every reader; the office reveals them on purpose, and each reveal is an
event in the case's audit chain (``reporter_viewed``). 受理 is the ordinary
挂号 of the draft, 不予受理 the director's 撤销 with reason ``not_accepted``;
both are due ``accept_working_days`` working days after the complaint was
recorded. A complaint found 不属实 is closed by the ``dismiss`` trigger (see the
machine); closing or dismissing needs a 答复 first (rule ``reply_required``).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core import policy
from workflow.core.cases import Case
from workflow.core.complaints import ComplaintReply, ComplaintReward
from workflow.core.evidence import Evidence, Storage
from workflow.core.service import Settings, get_case, lock_for_record, record, store_upload
from workflow.org.models import User
from workflow.platform.base import local_today, to_local, utcnow
from workflow.platform.errors import Conflict, InvalidInput, NotFound
from workflow.platform.vocab import REPLY_CHANNELS, is_choice

# Default 受理 limit: 5 working days (setting COMPLAINT_ACCEPT_WORKING_DAYS). The outer bound
# is the 15 days《信访工作条例》(2022) gives an authority to decide whether it accepts a matter;
# 5 working days is the shorter limit local 安全生产举报 handling rules commonly set for the
# 受理 decision. The office sets its own rule through the setting.
ACCEPT_WORKING_DAYS = 5
MAX_REWARD = Decimal("9999999999.99")
# An amount written as text: yuan, at most two decimals, more than zero (the API documents it).
# A JSON number must be whole yuan; 角分 are written as text ("800.50"), so no float rounding.
AMOUNT_PATTERN = r"^\s*0*([1-9][0-9]{0,9}(\.[0-9]{1,2})?|\.(0[1-9]|[1-9][0-9]?))\s*$"


def reveal_reporter(session: Session, case_id: int, actor: User, *,
                    now: datetime | None = None) -> dict:
    """The reporter's name and contact for an office user; the reading goes into the chain."""
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.reporter_refusal(case, actor):
        raise refusal
    record(session, case, actor, "reporter_viewed", payload={}, now=now or utcnow())
    session.flush()
    return {"case_id": case.id, "reporter_name": case.reporter_name,
            "reporter_contact": case.reporter_contact, "version": case.version}


def upload_verification_file(session: Session, case_id: int, actor: User, *, data: bytes,
                             filename: str | None, note: str | None, settings: Settings,
                             storage: Storage | None = None) -> Evidence:
    """A 核实材料 file of the office for the current round (what ``dismiss`` needs)."""
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.complaint_evidence_refusal(case, actor):
        raise refusal
    if note is not None and len(note) > 1000:
        raise InvalidInput("说明过长（最多 1000 字）", field="note")
    name, mime, digest = store_upload(data, filename, settings, storage)
    ev = Evidence(case_id=case.id, round=case.round, category="verification", filename=name,
                  content_type=mime, size=len(data), sha256=digest, note=note or None,
                  uploaded_by_id=actor.id)
    session.add(ev)
    record(session, case, actor, "complaint_evidence", payload={
        "filename": name, "sha256": digest, "size": len(data), "category": "verification",
        "round": case.round})
    session.flush()
    return ev


def add_reply(session: Session, case_id: int, actor: User, *, replied_on, channel, content,
              now: datetime | None = None) -> ComplaintReply:
    """Record a 答复 to the reporter (date, channel, content)."""
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.reply_refusal(case, actor):
        raise refusal
    now = now or utcnow()
    if not isinstance(replied_on, date):
        raise InvalidInput("须填写答复日期", field="replied_on")
    if replied_on > local_today(now):
        raise InvalidInput("答复日期不能晚于今天", field="replied_on")
    if replied_on < to_local(case.created_at).date():
        raise InvalidInput("答复日期不能早于举报登记日期", field="replied_on")
    if not is_choice(channel, REPLY_CHANNELS):
        raise InvalidInput(f"答复方式须为：{'、'.join(f'{k}（{v}）' for k, v in REPLY_CHANNELS.items())}",
                           field="channel")
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput("须填写答复内容", field="content")
    if len(content) > 5000:
        raise InvalidInput("答复内容过长（最多 5000 字）", field="content")
    reply = ComplaintReply(case_id=case.id, replied_on=replied_on, channel=channel,
                           content=content.strip(), recorded_by_id=actor.id, recorded_at=now)
    session.add(reply)
    record(session, case, actor, "complaint_reply", payload={
        "replied_on": replied_on.isoformat(), "channel": channel, "content": content.strip()},
        now=now)
    session.flush()
    return reply


def parse_amount(value) -> Decimal:
    if isinstance(value, bool) or value is None or value == "":
        raise InvalidInput("须填写奖励金额（元）", field="amount")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, float) or isinstance(value, str) and not re.fullmatch(AMOUNT_PATTERN,
                                                                              value):
        raise InvalidInput("奖励金额须为整数元，或写成文本的金额（最多两位小数，如 \"800.50\"）",
                           field="amount")
    if not isinstance(value, (int, str)):
        raise InvalidInput("奖励金额须为数字（元）", field="amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput("奖励金额须为数字（元）", field="amount") from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_REWARD:
        raise InvalidInput("奖励金额须大于 0 且不超过 9999999999.99 元", field="amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput("奖励金额最多两位小数", field="amount")
    return amount.quantize(Decimal("0.01"))


def propose_reward(session: Session, case_id: int, actor: User, *, amount, reason,
                   now: datetime | None = None) -> ComplaintReward:
    """举报奖励申报 by the office; the director approves or refuses it."""
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.reward_refusal(case, actor):
        raise refusal
    value = parse_amount(amount)
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("须填写奖励依据", field="reason")
    if len(reason) > 2000:
        raise InvalidInput("奖励依据过长（最多 2000 字）", field="reason")
    pending = session.scalar(select(ComplaintReward.id).where(
        ComplaintReward.case_id == case.id, ComplaintReward.state == "pending"))
    if pending is not None:
        raise Conflict("本事项已有待审批的举报奖励", current_version=case.version, status=case.status)
    now = now or utcnow()
    reward = ComplaintReward(case_id=case.id, amount=value, reason=reason.strip(),
                             proposed_by_id=actor.id, proposed_at=now)
    session.add(reward)
    session.flush()
    record(session, case, actor, "reward_proposed", payload={
        "reward_id": reward.id, "amount": str(value), "reason": reason.strip()}, now=now)
    session.flush()
    return reward


def decide_reward(session: Session, reward_id: int, actor: User, *, approve, comment=None,
                  now: datetime | None = None) -> ComplaintReward:
    """The director approves (or refuses, with a comment) a 举报奖励."""
    reward = session.get(ComplaintReward, reward_id)
    if reward is None:
        raise NotFound(f"举报奖励 {reward_id} 不存在")
    case = get_case(session, reward.case_id, actor, for_update=True)
    if refusal := policy.reward_decision_refusal(actor):
        raise refusal
    if not isinstance(approve, bool):
        raise InvalidInput("approve 须为 true 或 false", field="approve")
    comment = comment.strip() if isinstance(comment, str) else None
    if comment is not None and len(comment) > 2000:
        raise InvalidInput("意见过长（最多 2000 字）", field="comment")
    if not approve and not comment:
        raise InvalidInput("不予批准须填写意见", field="comment")
    # re-read under the case lock: a decision that won the race shows here (409)
    reward = session.scalar(select(ComplaintReward).where(ComplaintReward.id == reward_id)
                            .execution_options(populate_existing=True))
    if reward.state != "pending":
        raise Conflict(f"该举报奖励已{reward.state_label}", current_version=case.version,
                       status=case.status)
    now = now or utcnow()
    reward.state = "approved" if approve else "refused"
    reward.decided_by_id, reward.decided_on = actor.id, local_today(now)
    reward.decision_comment = comment or None
    record(session, case, actor, "reward_decision", comment=comment or None, payload={
        "reward_id": reward.id, "amount": str(reward.amount), "decision": reward.state},
        now=now)
    session.flush()
    return reward


def replies_of(session: Session, case: Case) -> list[ComplaintReply]:
    return list(session.scalars(select(ComplaintReply).where(ComplaintReply.case_id == case.id)
                                .order_by(ComplaintReply.replied_on, ComplaintReply.id)))


def rewards_of(session: Session, case: Case) -> list[ComplaintReward]:
    return list(session.scalars(select(ComplaintReward).where(ComplaintReward.case_id == case.id)
                                .order_by(ComplaintReward.id)))


def accept_due_on(case: Case, calendar, days: int = ACCEPT_WORKING_DAYS) -> date | None:
    """The day by which a 举报 recorded as a draft must be 受理 or 不予受理."""
    if not case.is_complaint or case.created_at is None:
        return None
    return calendar.add_working_days(to_local(case.created_at).date(), days)


def accept_cutoff(today: date, calendar, days: int = ACCEPT_WORKING_DAYS) -> date:
    """The last recording day whose 受理 limit has come (today or earlier)."""
    d = today
    # a limit moves forward monotonically with the recording day: walk back until it is due
    for _ in range(400):
        if calendar.add_working_days(d, days) <= today:
            return d
        d -= timedelta(days=1)
    return d
