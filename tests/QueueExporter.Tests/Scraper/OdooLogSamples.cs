namespace QueueExporter.Tests.Scraper;

/// <summary>Log excerpts in the shape Odoo 16/17 writes them with queue_job's runner and controller.</summary>
internal static class OdooLogSamples
{
    /// <summary>
    /// A runner start, two dispatches (one succeeds, one fails with a controller traceback followed by
    /// the blank line Odoo leaves after it), a reset, a dead-job requeue, a dispatch error and a runner
    /// restart (each with a traceback), a not-runnable warning, a missing trigger and a channels error.
    /// 40 lines in 20 records.
    /// </summary>
    public const string RunnerSession = """
        2025-12-09 07:22:40,101 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: starting
        2025-12-09 07:22:40,102 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: initializing database connections
        2025-12-09 07:22:40,131 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: queue job runner ready for db mydb
        2025-12-09 07:22:40,131 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: database connections ready
        2025-12-09 07:22:40,132 2229881 INFO ? odoo.addons.queue_job.jobrunner.channels: Configured channel: root(C:4,Q:0,R:0,F:0)
        2025-12-09 07:22:43,908 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: asking Odoo to run job 76c3f0c2-6a1e-4b8e-9d3b-6f0e2a1c026d on db mydb
        2025-12-09 07:22:43,950 2229890 INFO mydb werkzeug: 127.0.0.1 - - [09/Dec/2025 07:22:43] "GET /queue_job/runjob?db=mydb&job_uuid=76c3f0c2-6a1e-4b8e-9d3b-6f0e2a1c026d HTTP/1.1" 200 - 7 0.004 0.038
        2025-12-09 07:22:44,210 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: asking Odoo to run job 1f9b2d4e-0c55-4a7b-8e21-93d7c6a0b114 on db mydb
        2025-12-09 07:22:44,390 2229890 ERROR mydb odoo.addons.queue_job.controllers.main: Traceback (most recent call last):
          File "/opt/odoo/addons/queue_job/controllers/main.py", line 121, in runjob
            self._try_perform_job(env, job)
          File "/opt/odoo/addons/queue_job/controllers/main.py", line 82, in _try_perform_job
            job.perform()
          File "/opt/odoo/addons/queue_job/job.py", line 503, in perform
            self.result = self.func(*tuple(self.args), **self.kwargs)
          File "/opt/odoo/custom/addons/edi/models/exchange.py", line 77, in action_send
            raise UserError(_("Remote endpoint refused the file"))
        odoo.exceptions.UserError: Remote endpoint refused the file

        2025-12-09 07:22:44,395 2229890 INFO mydb werkzeug: 127.0.0.1 - - [09/Dec/2025 07:22:44] "GET /queue_job/runjob?db=mydb&job_uuid=1f9b2d4e-0c55-4a7b-8e21-93d7c6a0b114 HTTP/1.1" 500 - 12 0.010 0.170
        2025-12-09 07:23:10,001 2229881 WARNING ? odoo.addons.queue_job.jobrunner.runner: state of job 9a0e6c1d-2b3f-4d5e-8f90-a1b2c3d4e5f6 was reset from enqueued to pending
        2025-12-09 07:23:10,002 2229881 WARNING ? odoo.addons.queue_job.jobrunner.runner: Re-queued dead job with uuid: 5d2c8b7a-6e5f-4a3b-9c1d-0e2f4a6b8c0d
        2025-12-09 07:23:12,500 2229881 ERROR ? odoo.addons.queue_job.jobrunner.runner: exception in GET http://localhost:8069/queue_job/runjob?db=mydb&job_uuid=5d2c8b7a-6e5f-4a3b-9c1d-0e2f4a6b8c0d
        Traceback (most recent call last):
          File "/usr/lib/python3/dist-packages/urllib3/connection.py", line 174, in _new_conn
            conn = connection.create_connection(
        ConnectionRefusedError: [Errno 111] Connection refused
        2025-12-09 07:23:20,000 2229881 ERROR ? odoo.addons.queue_job.jobrunner.runner: exception: sleeping 5s and retrying
        Traceback (most recent call last):
          File "/opt/odoo/addons/queue_job/jobrunner/runner.py", line 520, in run
            self.process_notifications()
        psycopg2.OperationalError: server closed the connection unexpectedly
        	This probably means the server terminated abnormally
        	before or while processing the request.
        2025-12-09 07:23:25,031 2229881 INFO ? odoo.addons.queue_job.jobrunner.runner: queue job runner ready for db mydb
        2025-12-09 07:23:26,000 2229890 WARNING mydb odoo.addons.queue_job.controllers.main: was requested to run job 3e1d9f8a-7b6c-4d5e-a4f3-b2c1d0e9f8a7, but it does not exist, or is not in state enqueued
        2025-12-09 07:23:30,000 2229881 ERROR ? odoo.addons.queue_job.jobrunner.runner: queue_job_notify trigger is missing in db otherdb
        2025-12-09 07:23:31,000 2229881 ERROR ? odoo.addons.queue_job.jobrunner.channels: unexpected state done for job 3e1d9f8a-7b6c-4d5e-a4f3-b2c1d0e9f8a7
        2025-12-09 07:23:40,000 2229890 INFO mydb odoo.modules.registry: Caches invalidated, signaling through the database: ['default']
        2025-12-09 07:23:41,000 2229890 DEBUG mydb odoo.sql_db: ConnectionPool(used=0/count=0/max=64): Closed 1 connections
        """;

    /// <summary>Splits a sample into its lines as the tailer would hand them over.</summary>
    public static IEnumerable<string> Lines(string sample) => sample.Split('\n');
}
