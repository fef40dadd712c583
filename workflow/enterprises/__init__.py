"""生产经营单位 register: enterprises, their 统一社会信用代码, and what the cases say of them.

Entry points: ``credit_code`` (the GB 32100-2015 check character: ``check_char``,
``is_valid``), ``models`` (Enterprise), ``register`` (create, find by code, import from
Excel, the enterprise document with its cases by status, counts by year, repeat
findings and current 挂牌/重大 items).

Sits between ``core`` (it reads cases) and ``problems`` (registration links a case to
the enterprise named by its credit code).
"""
