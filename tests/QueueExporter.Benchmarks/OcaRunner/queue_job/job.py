"""The job states that OCA's channels.py imports from queue_job.job (the rest of that module is Odoo ORM code)."""

WAIT_DEPENDENCIES = "wait_dependencies"
PENDING = "pending"
ENQUEUED = "enqueued"
STARTED = "started"
DONE = "done"
CANCELLED = "cancelled"
FAILED = "failed"
