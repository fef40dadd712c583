"""SafeLoop domain core: cases, the state machine, audit chain and records.

Nothing here needs a Flask request: the CLI, a worker and the tests call the
same functions with a SQLAlchemy session.
"""
