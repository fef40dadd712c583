"""Settings of 督办措施, taken from the app config (``MEASURE_*``) or the defaults here."""
from __future__ import annotations

from dataclasses import dataclass, field

# 机关代字 of each kind's 文号: 武安委办督〔2026〕3号
DEFAULT_CODES = {"letter": "武安委办督", "interview": "武安委办约", "bulletin": "武安委办通",
                 "referral": "武安委办移"}
# 考核: points per 通报 and per overdue act (negative: 扣分, positive: 加分)
DEFAULT_POINTS = {"criticism": -2.0, "commendation": 1.0, "letter_overdue": -1.0,
                  "report_overdue": -1.0}


@dataclass
class MeasureSettings:
    codes: dict = field(default_factory=lambda: dict(DEFAULT_CODES))
    letter_reply_days: int = 5   # default 反馈时限 of a 督办函, working days
    report_days: int = 5         # 落实报告 due this many working days after the 约谈
    points: dict = field(default_factory=lambda: dict(DEFAULT_POINTS))

    @classmethod
    def from_config(cls, config) -> MeasureSettings:
        codes = {**DEFAULT_CODES, **(config.get("MEASURE_CODES") or {})}
        points = {**DEFAULT_POINTS, **(config.get("MEASURE_POINTS") or {})}
        return cls(codes=codes, points={k: float(v) for k, v in points.items()},
                   letter_reply_days=int(config.get("LETTER_REPLY_WORKING_DAYS", 5)),
                   report_days=int(config.get("INTERVIEW_REPORT_WORKING_DAYS", 5)))
