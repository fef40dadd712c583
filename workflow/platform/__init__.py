"""Knows no domain object: the engine and sessions (``db``), the declarative base
and clock helpers (``base``), Alembic driven from code (``migrate``), the error
family with the one table of rule messages (``errors``), input parsing
(``parsing``) and the controlled vocabulary with its named status sets (``vocab``).
Local dates of the stored UTC timestamps, in SQL and in Python: ``sqltime``.
"""
