"""odoo.tools.config as the runner reads it: a mapping of server options, read from the environment here."""

import os


class _Config(dict):
    """Odoo's configuration object is a dict with parse_config() and the misc sections of the file."""

    def __init__(self):
        super().__init__(
            db_name=os.environ.get("QE_OCA_DB_NAME", ""),
            http_interface="",
            http_port=8069,
        )
        self.misc = {}

    def parse_config(self, args=None):
        """Nothing to parse: the benchmark passes everything through the environment."""


config = _Config()
