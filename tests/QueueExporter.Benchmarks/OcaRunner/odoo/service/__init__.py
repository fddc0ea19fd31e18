"""odoo.service: only db.list_dbs, which the runner calls when no db_name is configured."""

from . import db  # noqa: F401
