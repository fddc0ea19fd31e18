"""The runner's package without Odoo's server hooks: the [queue_job] section of Odoo's file is empty here."""

queue_job_config = {}
