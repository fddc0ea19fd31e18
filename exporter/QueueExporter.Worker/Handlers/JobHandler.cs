namespace QueueExporter.Worker.Handlers;

/// <summary>
/// Runs one job. Return the text to store in the job's <c>result</c> (or null); throw
/// <see cref="RetryableJobException"/> to run it again later, any other exception to fail it.
/// The token is cancelled only when the worker shuts down (the job then goes back to pending),
/// not when the runner's HTTP request times out: a job outlives its request, as in Odoo.
/// </summary>
public delegate Task<string?> JobHandler(JobContext context, CancellationToken cancellationToken);
