"""The case engine shared by problems and tasks.

Entry points: ``core.service`` (transition, record, evidence, statement, plan,
on-site verification — the one place that changes a case's state, writing its
audit event in the same flush), ``core.policy`` (who may do what to a case; the
pages and the operations ask the same predicates), ``core.queries`` (visibility
filters and keyset pagination), ``core.workdays`` (working-day arithmetic and
the holiday calendar). ``machine`` declares the state graph, ``rules`` its guards.
"""
