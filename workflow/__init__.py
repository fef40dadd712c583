"""SafeLoop domain core: cases, the state machine, audit chain and records.

Nothing here needs a Flask request: the CLI, a worker and the tests call the
same functions with a SQLAlchemy session. Operations flush, never commit.

Packages, each importing only those above it in this list (``lint-imports``
enforces it):

- ``platform``   — engine, base model, migrations, the error family and its one
                   message table, input parsing, the controlled vocabulary.
- ``org``        — departments, groups, users, tokens, sign-in, directory admin.
- ``core``       — the case engine: model, machine, rules, policy, the one
                   state-changing service, audit chain, evidence, working days.
- ``problems``   — 问题隐患闭环: registration, extensions, disputes, supervision,
                   progress, 回头看, the daily sweep, work queues.
- ``enterprises`` — 生产经营单位 register: credit codes (GB 32100-2015), each
                   enterprise's cases, repeat findings (below problems, above core).
- ``tasklist``   — 目标任务清单: plans, items, the importer, occurrences/targets.
- ``records``    — printed records (PDF), their verification, Excel/ZIP exports.
- ``assessment`` — 考核 figures, frozen snapshots, the annual review.

``models`` imports every model module (Alembic and ``create_all`` use it);
``demo`` seeds the demonstration office.
"""
