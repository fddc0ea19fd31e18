"""odoo.sql_db.connection_info_for: the runner adds host, port, user and password from ODOO_QUEUE_JOB_JOBRUNNER_DB_*."""


def connection_info_for(db_name):
    return db_name, {"database": db_name}
