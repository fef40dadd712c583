"""Domain errors; the web layer maps each to one HTTP status."""
from __future__ import annotations

# Every rule code a refusal can carry, and the text users read for it
RULE_MESSAGES = {
    "role_required": "当前角色无权执行此操作",
    "department_scope": "只能办理本部门负责的事项",
    "director_required": "重大事故隐患和国务院督导反馈问题须由区安委办主任销号",
    "comment_required": "须填写意见",
    "reason_required": "须填写理由",
    "statement_required": "上报前须填写整改情况说明",
    "evidence_required": "本轮整改须至少上传 1 份佐证材料",
    "plan_required": "重大事故隐患上报前须完成治理方案六项内容（目标任务、方法措施、经费物资、机构人员、时限要求、安全措施和应急预案）并上传主要负责人签批件",
    "onsite_verification_required": "重大事故隐患核查须有本轮现场核查记录且核查人不少于 2 人",
    "same_person": "不得由同一人既上报又核查、或既核查又销号（职责分离）",
    "fields_required": "挂号前须填写责任部门、整改期限、问题来源和隐患等级",
    "department_required": "转办须指定新的责任部门",
    "same_department": "不能转办给原责任部门",
    "unknown_department": "指定的部门不存在或已停用",
    "deadline_passed": "整改期限已过，不能再申请延期",
    # problem loop: 挂牌督办
    "already_listed": "本事项已挂牌督办",
    "not_listed": "本事项未挂牌督办，无需摘牌",
    "rectification_unverified": "挂牌督办的问题须整改核查通过后方可摘牌",
    # 监督举报
    "complaint_only": "该操作只适用于监督举报来源的事项",
    "reply_required": "举报事项办结（销号或经核实不属实）前须先答复举报人",
    "verification_record_required": "经核实不属实须填写核实情况",
    "verification_evidence_required": "经核实不属实须至少上传 1 份本轮核实材料",
    "reward_not_substantiated": "举报奖励只适用于经核实属实并已整改销号的举报事项",
    "not_accepted_draft_only": "不予受理只适用于尚未受理（待挂号）的举报",
    # 三员分立: role grants need a second person
    "own_request": "不能批准自己提出的角色授权申请",
    "own_grant": "不能批准授予自己的角色",
    "role_grant_pending": "该账号的角色授权尚待批准，批准后自动启用",
    # 重大事故隐患 by the 16号令
    "acceptance_required": "重大事故隐患核查前须上传本轮验收/评估报告（单位技术人员或评价机构出具）",
    "resumption_review_required": "停产停业治理的重大事故隐患销号前须有复产申请，并在申请后 10 日内完成复产现场审查",
    "verifiers_too_few": "现场核查/审查人员不少于 2 人",
    "verifier_post_required": "现场核查/审查人员须写明职务（如 张三（安监科科长））",
    "verifier_is_reporter": "上报整改的人员不得担任现场核查/审查人员",
    # 挂牌督办 with the leader's approval
    "leader_required": "挂牌督办和摘牌须经区领导审批",
    "leader_approval_required": "区级挂牌督办须由主任提请、区领导审批（不能直接登记）",
    # task list
    "target_required": "该事项不是带量化目标的目标任务，无需登记完成次数",
    # bulk actions
    "extension_pending_required": "该事项没有待审批的延期申请",
    # task list: responsibilities and targets per unit
    "target_not_met": "量化目标尚未完成（已登记次数少于目标），报送完成须说明未完成的原因",
    "unknown_names": "清单中有系统未登记的单位名称，须先选择映射到已有部门、由某单位承办、新建或不交办",
}
# an office's working day: approvals from the pages carry the approver's 意见
RULE_MESSAGES["opinion_required"] = "上报、核查和销号（办结）须填写审批意见（可选用常用语）"

# 生产经营单位 register, 属地 hierarchy, 属地 + 行业 dual responsibility
RULE_MESSAGES.update({
    "credit_code_invalid": "统一社会信用代码不符合 GB 32100-2015（18 位，第 3–8 位为行政区划代码，末位校验码须与前 17 位相符）",
    "credit_code_taken": "该统一社会信用代码已登记为另一生产经营单位",
    "children_open": "已交办下级（村/社区、网格）的事项尚未全部销号，不能上报",
    "delegate_below_only": "只能交办给本单位下属的村/社区或网格",
    "delegate_not_held": "只有本单位正在办理（已交办或整改中）的事项才能交办下级",
})


def rule_messages(codes) -> list[str]:
    """The text of each code with the code after it, e.g. “须填写意见（comment_required）”."""
    return [f"{RULE_MESSAGES.get(c, c)}（{c}）" for c in codes]


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str = "", **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict:
        return {"error": self.code, "message": self.message, **self.extra}


class InvalidInput(DomainError):
    """Malformed or missing input: names the field."""

    status = 400
    code = "invalid_input"

    def __init__(self, message: str, field: str | None = None, **extra):
        super().__init__(message, field=field, **extra)
        self.field = field


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The role or department of the caller may not do this."""

    status = 403
    code = "forbidden"

    def __init__(self, message: str, needed_roles=(), rules=()):
        super().__init__(message, needed_roles=list(needed_roles), rules=list(rules))
        self.needed_roles = list(needed_roles)
        self.rules = list(rules)


class Conflict(DomainError):
    """A lost race or a step the current status does not allow."""

    status = 409
    code = "conflict"

    def __init__(self, message: str, current_version=None, status=None, **extra):
        super().__init__(message, current_version=current_version, status=status, **extra)


class RuleFailed(DomainError):
    """A business rule refused the step; ``rules`` lists the rule codes."""

    status = 422
    code = "rule_failed"

    def __init__(self, rules: list[str], message: str = ""):
        rules = list(dict.fromkeys(rules))
        super().__init__(message or "；".join(rule_messages(rules)), rules=rules)
        self.rules = rules


class FieldRuleFailed(RuleFailed):
    """A rule about one submitted field: the 422 names the field too."""

    def __init__(self, rules: list[str], field: str, message: str = ""):
        super().__init__(rules, message)
        self.extra["field"] = field
        self.field = field


def refuse_unknown(given, allowed, label: str = "未知字段") -> None:
    """Raise InvalidInput naming every name in ``given`` outside ``allowed``.

    Names may be of any type (a malformed multipart part can carry no name at all).
    """
    unknown = sorted(str(name) for name in set(given) - set(allowed))
    if unknown:
        raise InvalidInput(f"{label}：{', '.join(unknown)}", field=unknown[0])
