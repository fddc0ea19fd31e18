namespace QueueExporter.QueueJob.Enqueue;

/// <summary>
/// A job to add, described as Odoo describes one: the method <see cref="MethodName"/> of the model
/// <see cref="ModelName"/>, called with <see cref="ArgsJson"/> and <see cref="KwargsJson"/>.
/// </summary>
public sealed record NewJob
{
    /// <summary>The model (or any namespace the worker understands), e.g. <c>res.partner</c>.</summary>
    public required string ModelName { get; init; }

    /// <summary>The method to call, e.g. <c>send_mail</c>.</summary>
    public required string MethodName { get; init; }

    /// <summary>Full channel name; <c>root</c> by default. <c>root.</c> is added when missing.</summary>
    public string Channel { get; init; } = "root";

    /// <summary>Lower runs first; Odoo's default is 10.</summary>
    public int Priority { get; init; } = 10;

    /// <summary>Do not run before this moment; null runs as soon as possible.</summary>
    public DateTimeOffset? Eta { get; init; }

    /// <summary>Positional arguments as a JSON array.</summary>
    public string ArgsJson { get; init; } = "[]";

    /// <summary>Keyword arguments as a JSON object.</summary>
    public string KwargsJson { get; init; } = "{}";

    /// <summary>Retries allowed on retryable errors; 0 retries for ever (Odoo's rule). Default 5.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Human description; defaults to the printable call.</summary>
    public string? Description { get; init; }

    /// <summary>Deduplication key: Odoo refuses a second active job with the same key.</summary>
    public string? IdentityKey { get; init; }

    /// <summary>Uuids of jobs that must be done before this one runs (14.0+).</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>The uuid to use; a new random one when null.</summary>
    public string? Uuid { get; init; }

    /// <summary>The channel with its <c>root.</c> prefix, as the table stores it.</summary>
    public string FullChannel => Channel == "root" || Channel.StartsWith("root.", StringComparison.Ordinal) ? Channel : "root." + Channel;

    /// <summary>A printable call, as Odoo's func_string shows it.</summary>
    public string FuncString => $"{ModelName}().{MethodName}(*{ArgsJson}, **{KwargsJson})";
}
