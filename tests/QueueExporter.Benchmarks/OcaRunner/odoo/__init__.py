"""The part of Odoo that OCA's job runner calls, for running it outside an Odoo server (see ../README.md)."""

from . import service, sql_db, tools  # noqa: F401  (the runner reaches them as odoo.service, odoo.sql_db, odoo.tools)
