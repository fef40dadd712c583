"""The scheduled sweep, run by RQ's own cron scheduler (``rq cron deploy/rq_cron.py``).

The scheduler only enqueues; the RQ worker (``flask --app wsgi worker``) runs the job. Cron
expressions are in UTC: 16:05 UTC is 00:05 in Beijing, just after the day turns.
SWEEP_CRON overrides it (e.g. ``*/10 * * * *`` for a rehearsal). Half an hour later the
evidence store drops files that no row names (an upload killed between file and commit).
"""
import os

from rq import cron

from blueprints.jobs import evidence_orphans, scheduled_sweep

cron.register(scheduled_sweep, queue_name=os.environ.get("RQ_QUEUE", "safeloop"),
              cron=os.environ.get("SWEEP_CRON", "5 16 * * *"), job_timeout=3600,
              name="daily-sweep")
# evidence files an upload killed mid-way left without their row (flask evidence check)
cron.register(evidence_orphans, queue_name=os.environ.get("RQ_QUEUE", "safeloop"),
              cron="35 16 * * *", job_timeout=3600, name="evidence-orphans")

