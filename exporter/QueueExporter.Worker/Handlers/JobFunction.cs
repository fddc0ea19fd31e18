namespace QueueExporter.Worker.Handlers;

/// <summary>A registered job function: its name, the code that runs it and its retry delays.</summary>
/// <param name="Name"><c>model_name.method_name</c>.</param>
/// <param name="Handler">The code that runs a job.</param>
/// <param name="RetryPattern">Delays between attempts; null uses the worker's default delay.</param>
public sealed record JobFunction(string Name, JobHandler Handler, RetryPattern? RetryPattern);
