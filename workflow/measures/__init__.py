"""督办措施: 督办函, 约谈, 通报 and 问责移交 as recorded acts with their papers.

A measure is addressed to one or more units (departments) about one or more cases. Each
gets a 文号 ``机关代字〔年份〕序号号`` from the numbering counter when it is issued (one
sequence per 机关代字 and year; the 代字 of each kind is a setting), has a small lifecycle
of its own (``workflow.measures.acts``), and writes every step into the audit chain of each
case it names through ``workflow.core.service.record``. Its papers print through
``workflow.measures.papers``; ``workflow.measures.scoring`` turns overdue letters and
通报 into 考核 扣分/加分.

- 督办函 ``letter``: issued → replied (the unit's written reply, with attachments kept in
  the evidence storage). Unanswered after its 反馈时限 (working days) it is overdue.
- 约谈 ``interview``: notified (约谈通知书) → held (约谈纪要, only once the 约谈 time has
  come) → reported (the unit's 落实报告, due N working days after the 约谈).
- 通报 ``bulletin``: 批评 or 表扬, issued once.
- 问责移交 ``referral``: referred (to the 纪检监察 role, with a zip of the case's chain and
  records) → received → concluded (处理结果).
"""
