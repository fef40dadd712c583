"""问题隐患闭环: the problem and hazard register, 挂号整改 … 销号.

Entry points: ``registration.create_problem``; one module per sub-process —
``extensions`` (延期), ``disputes`` (职责异议), ``supervision`` (催办/督办/约谈/挂牌,
and the one 约谈建议名单), ``progress``, ``lookback`` (回头看), ``sweep`` (the
daily escalation), ``queues`` (each role's work queues), ``excel_import``
(problem lists from Excel), ``fields`` (the 台账 fields and their labels).
"""
