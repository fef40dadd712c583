"""Controlled vocabularies: statuses, sources, grades, evidence categories."""
from __future__ import annotations

STATUS_LABELS = {
    "draft": "待挂号",
    "assigned": "已交办",
    "in_progress": "整改中",
    "reported": "已上报(待核查)",
    "verified": "已核查(待销号)",
    "closed": "已销号",
    "cancelled": "已撤销",
}
STATUSES = tuple(STATUS_LABELS)
OPEN_STATUSES = ("assigned", "in_progress", "reported", "verified")
# The department holds the case: it works on it, uploads, reports progress, may ask
# for an extension or raise a dispute; the office can still transfer it; the sweep chases it.
HELD_BY_DEPARTMENT = ("assigned", "in_progress")

# key → (Chinese name users read, code used in case numbers)
SOURCES = {
    "state_council": ("国务院督导反馈", "DD"),
    "patrol": ("巡查发现", "XC"),
    "routine": ("日常检查排查", "JC"),
    "complaint": ("监督举报", "JB"),
    "covert": ("明查暗访", "AF"),
    "campaign": ("专项整治", "ZX"),
    "self_check": ("企业自查", "ZC"),
    "other": ("其他", "QT"),
    "task_list": ("目标任务清单", "RW"),
}
GRADES = {"general": "一般", "major": "重大"}
KINDS = {"problem": "问题隐患", "task": "目标任务"}

EVIDENCE_CATEGORIES = {
    "before": "整改前照片",
    "after": "整改后照片",
    "report": "整改报告",
    "acceptance": "验收材料",
    "other": "其他材料",
}

# 五落实: the five parts a major hazard's 治理方案 must have
PLAN_PARTS = {
    "responsibility": "责任落实",
    "measures": "措施落实",
    "funds": "资金落实",
    "time_limit": "时限落实",
    "contingency": "预案落实",
}

TRIGGER_LABELS = {
    "register": "挂号交办",
    "accept": "签收",
    "report": "上报",
    "return": "退回",
    "verify": "核查通过",
    "reject": "审批不通过",
    "close": "销号",
    "reopen": "重新整改",
    "cancel": "撤销",
    "transfer": "转办",
}

# Operations recorded in the timeline that do not move the state
ACTION_LABELS = {
    **TRIGGER_LABELS,
    "create": "登记",
    "update": "修改",
    "evidence": "上传佐证材料",
    "comment": "备注",
    "statement": "起草整改情况",
    "progress": "进展报告",
    "plan": "治理方案",
    "onsite_verification": "现场核查记录",
    "import": "导入问题清单",
}


def normalise_key(value, table: dict) -> str | None:
    """Accept a key or its Chinese name; return the key or None."""
    if value is None:
        return None
    value = str(value).strip()
    if value in table:
        return value
    for key, label in table.items():
        name = label[0] if isinstance(label, tuple) else label
        if value == name:
            return key
    return None


def source_label(key: str | None) -> str:
    return SOURCES[key][0] if key in SOURCES else (key or "")

# Timeline labels of the problem-case operations (disputes, extensions, supervision, 回头看)
ACTION_LABELS.update({
    "dispute": "职责异议", "dispute_decision": "职责异议处理",
    "extension_request": "延期申请", "extension_decision": "延期审批",
    "urge": "催办", "supervise": "督办", "interview": "列入约谈",
    "list": "挂牌督办", "delist": "摘牌", "lookback": "回头看",
})

# Timeline labels of the task-list operations (targets, occurrences, list re-imports)
ACTION_LABELS.update({
    "occurrence": "登记完成情况", "target_changed": "修改量化目标",
    "plan_item_changed": "清单事项变更", "plan_item_withdrawn": "清单事项删除",
})


def is_choice(value, choices) -> bool:
    """Whether user input names one of ``choices`` (lists or objects from JSON never do)."""
    return isinstance(value, str) and value in choices

# 监督举报 handled to the end: 不属实 closure, 答复, 奖励, reporter access
TRIGGER_LABELS["dismiss"] = "经核实不属实"
EVIDENCE_CATEGORIES["verification"] = "核实材料"
# categories only the office files (through its own operation), never a department upload
OFFICE_EVIDENCE_CATEGORIES = frozenset({"verification"})
REPLY_CHANNELS = {"phone": "电话", "sms": "短信", "letter": "书面", "in_person": "当面",
                  "online": "网上答复"}
DISMISSED_LABEL = "已办结（经核实不属实）"
ACTION_LABELS.update({
    "dismiss": TRIGGER_LABELS["dismiss"], "reporter_viewed": "查阅举报人信息",
    "complaint_reply": "答复举报人", "complaint_evidence": "上传核实材料",
    "reward_proposed": "举报奖励申报", "reward_decision": "举报奖励审批",
})

# 重大事故隐患 by the 16号令: materials of the 治理方案, the 验收/评估, the 复产申请
EVIDENCE_CATEGORIES.update({
    "signed_plan": "治理方案签批件",        # signed by the unit's 主要负责人 (第十五条)
    "acceptance_report": "验收/评估报告",   # by its technical staff or a 评价机构 (第十八条)
    "resumption_request": "复产申请",       # 恢复生产的书面申请 (第十八、二十三条)
})

# 治理方案 of a 重大事故隐患, the six elements of 16号令第十五条
PLAN_ELEMENTS = {
    "objectives": "治理的目标和任务",
    "measures": "采取的方法和措施",
    "funds_materials": "经费和物资的落实",
    "organisation": "负责治理的机构和人员",
    "time_requirements": "治理的时限和要求",
    "safety_contingency": "安全措施和应急预案",
}
# the old 五落实 boxes read as the element they fill (no old box says the 目标和任务)
PLAN_ALIASES = {
    "responsibility": "organisation",
    "measures": "measures",
    "funds": "funds_materials",
    "time_limit": "time_requirements",
    "contingency": "safety_contingency",
}

# 停产停业情况 (16号令 distinguishes 局部 and 全部); the old ``suspended`` flag reads as full/none
SHUTDOWN = {"none": "无", "partial": "局部停产停业", "full": "全部停产停业"}
# 挂牌督办 levels
LISTING_LEVELS = {"province": "省级", "city": "市级", "district": "区级", "town": "镇（街道）级"}

ACTION_LABELS.update({
    "listing_proposal": "提请挂牌督办/摘牌", "listing_decision": "挂牌督办/摘牌审批",
    "resumption_review": "复产现场审查",
})

# 交办批次 (来文): where a list comes from, and the sources its items carry
SOURCES.update({
    "province_inspection": ("省级督导交办", "SD"),
    "city_inspection": ("市级督导交办", "SS"),
    "superior": ("上级交办", "SJ"),
    "media": ("媒体曝光", "MT"),
    "referral": ("部门移送", "YS"),
    "accident": ("事故调查整改", "SG"),
    "people_supervisor": ("人民监督员", "RM"),
})
ISSUER_LEVELS = {"state": "国务院", "province": "省", "city": "市", "district": "区"}
# the source a batch's items get when neither the batch nor the row names one
ISSUER_SOURCES = {"state": "state_council", "province": "province_inspection",
                  "city": "city_inspection", "district": "superior"}
ACTION_LABELS.update({"batch_item": "列入交办批次"})

# --- an office's working day: photos at registration, 常用语 for approvals -------------------
EVIDENCE_CATEGORIES["site"] = "现场照片"
# what inspectors and office staff attach to a draft and at 挂号 (not the department's work)
REGISTRATION_PHOTO_CATEGORIES = ("before", "site")
# 常用语 offered beside each approval step's 意见 (the official picks one or types his own)
COMMON_OPINIONS = {
    "report": ("已按要求整改到位，请予核查", "整改完成，佐证材料齐全，申请销号"),
    "verify": ("经现场核查，情况属实，整改到位", "佐证材料齐全，同意核查通过"),
    "return": ("佐证材料不全，请补充整改前后对比照片", "整改不到位，请继续整改后重新上报"),
    "close": ("情况属实，同意销号", "经核查整改到位，同意销号"),
    "reject": ("整改不到位，不同意销号", "佐证材料不足，请补充后重新上报"),
    "dismiss": ("经核实举报不属实，同意办结",),
}

# 目标任务清单 periodic reporting (the task words themselves: workflow.platform.wording)
ACTION_LABELS.update({"reporting_rule": "修改报送要求"})
# 督办措施 (workflow.measures): each act and step in the chain of every case it names
ACTION_LABELS.update({
    "measure_letter": "督办函", "measure_interview": "约谈通知", "measure_bulletin": "通报",
    "measure_referral": "问责移交", "measure_reply": "督办函书面反馈",
    "measure_minutes": "约谈纪要", "measure_report": "约谈落实报告",
    "measure_receipt": "问责移交受理", "measure_outcome": "问责处理结果",
})
# --- the hazard register to national practice: units, clues, the full 台账 -------------------
# 属地 hierarchy: the kind of a unit (Department.kind); ``office`` is the 区安委办 itself
UNIT_KINDS = {"department": "区级部门", "town": "镇/街道/开发区", "village": "村/社区",
              "grid": "网格", "office": "区安委办"}
# which kind of unit may sit under which (None: the top of the tree)
UNIT_PARENT_KINDS = {"department": (None,), "office": (None,), "town": (None,),
                     "village": ("town",), "grid": ("town", "village")}
CLUE_TYPES = {"problem": "问题线索", "hazard": "隐患线索", "accident": "事故线索"}
# 问题 and 事故 clues are not forced to carry a 一般/重大 grade
GRADELESS_CLUES = ("problem", "accident")
HAZARD_CATEGORIES = {"behaviour": "人的不安全行为", "object": "物的不安全状态",
                     "management": "管理缺陷", "environment": "环境因素"}
RECTIFICATION_TYPES = {"immediate": "立即整改", "deadline": "限期整改"}
# 三管三必须: what the office asks of each responsible side (属地 / 行业)
DUTIES = {"onsite_review": "现场复查", "acceptance": "验收", "supervision": "督促整改",
          "daily_inspection": "日常巡查", "enforcement": "执法处置"}
DEFAULT_TERRITORIAL_DUTIES = ("onsite_review", "supervision")
DEFAULT_INDUSTRY_DUTIES = ("acceptance", "enforcement")
ACTION_LABELS.update({"delegate": "交办下级", "delegated": "上级交办", "duties": "明确属地/行业职责"})

# 目标任务清单 responsibilities (workflow.tasklist): the office's changes, recorded on each case
ACTION_LABELS.update({"group_expanded": "分解部门组", "responsibilities_changed": "调整责任分工"})
