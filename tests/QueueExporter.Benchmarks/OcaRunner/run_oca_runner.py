"""Starts OCA's QueueJobRunner as odoo-bin would, logging in Odoo's format, and stops it gracefully on SIGTERM."""

import logging
import signal
import sys

import odoo
from queue_job.jobrunner.runner import QueueJobRunner


def main():
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO,
        format="%(asctime)s %(process)s %(levelname)s ? %(name)s: %(message)s",
    )
    odoo.tools.config.parse_config()
    runner = QueueJobRunner.from_environ_or_config()
    signal.signal(signal.SIGTERM, lambda *_: runner.stop())
    runner.run()


if __name__ == "__main__":
    main()
