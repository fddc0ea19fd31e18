"""odoo.service.db.list_dbs: the configured database names (the benchmark always configures one)."""

from ..tools import config


def list_dbs(force=False):
    return [name for name in config["db_name"].split(",") if name]
