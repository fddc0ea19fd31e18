"""OCA's queue_job addon as its runner needs it: the runner's modules, and exception.py, are copied in beside this file."""
