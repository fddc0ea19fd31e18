using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Logging;
using QueueExporter.Worker.Execution;

namespace QueueExporter.Worker.Http;

/// <summary>
/// <c>GET /queue_job/runjob?db=..&amp;job_uuid=..</c>: answers with an empty body once the job has run,
/// 200 when it is done, postponed or was not enqueued any more, 500 when it failed (as Odoo does).
/// The job is not tied to the request: OCA's runner hangs up after 1 s and the job runs on.
/// </summary>
internal static class RunJobEndpoint
{
    public const string Path = "/queue_job/runjob";

    public static async Task<IResult> HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var services = context.RequestServices;
        var executor = services.GetRequiredService<JobExecutor>();
        var lifetime = services.GetRequiredService<IHostApplicationLifetime>();
        var options = services.GetRequiredService<WorkerOptions>();
        var logger = services.GetRequiredService<ILogger<JobExecutor>>();
        if (!services.GetRequiredService<BasicAuthentication>().IsAuthorized(context.Request))
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"queue_job\"";
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }

        var database = context.Request.Query["db"].ToString();
        var uuid = context.Request.Query["job_uuid"].ToString();
        if (database.Length == 0 || uuid.Length == 0)
        {
            return Results.Text("db and job_uuid are required\n", statusCode: StatusCodes.Status400BadRequest);
        }

        // No database or job name holds a control character; PostgreSQL refuses a NUL in text outright.
        // Refused here, such a value never reaches SQL (a 500) or a log line raw.
        if (LogText.HasControlCharacters(database) || LogText.HasControlCharacters(uuid))
        {
            WorkerLog.MalformedRequest(logger, LogText.Escape(uuid), LogText.Escape(database));
            return Results.Text("db and job_uuid must not contain control characters\n", statusCode: StatusCodes.Status400BadRequest);
        }

        try
        {
            var status = await executor.RunAsync(database, uuid, lifetime.ApplicationStopping);
            return Results.StatusCode(status switch
            {
                RunJobStatus.Ran or RunJobStatus.Skipped => StatusCodes.Status200OK,
                RunJobStatus.Failed or RunJobStatus.Lost => StatusCodes.Status500InternalServerError,
                RunJobStatus.DatabaseNotServed => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status503ServiceUnavailable,
            });
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or QueueJob.Schema.QueueJobTableMissingException)
        {
            // The database failed us before or after the handler ran: the job stays enqueued or
            // started, and a runner's rescue puts it back to pending.
            var endpoint = (options.Endpoint ?? DatabaseEndpoint.Parse("postgres://localhost")).WithDatabase(database);
            WorkerLog.RunJobError(logger, uuid, database, DatabaseErrorDescriber.Describe(e, endpoint), e);
            return Results.StatusCode(StatusCodes.Status500InternalServerError);
        }
    }
}
