using System.Collections.Concurrent;

namespace QueueExporter.Worker.Handlers;

/// <summary>
/// The job functions this worker can run, by <c>model_name.method_name</c>. A job whose function is
/// not here fails with <see cref="UnknownJobFunctionException"/>. Registered names are also the only
/// values the <c>function</c> metric label takes, which keeps that label bounded.
/// </summary>
/// <example>
/// <code>
/// registry.Register("res.partner.send_welcome_mail", async (job, ct) =>
/// {
///     var partnerId = job.Args[0].GetInt32();
///     await mailer.SendWelcomeAsync(partnerId, ct);
///     return $"welcome mail sent to partner {partnerId}";
/// }, RetryPattern.Parse("1: 10, 5: 60"));
/// </code>
/// </example>
public sealed class JobHandlerRegistry
{
    private readonly ConcurrentDictionary<string, JobFunction> _functions = new(StringComparer.Ordinal);

    /// <summary>The registered function names.</summary>
    public IReadOnlyCollection<string> Names => [.. _functions.Keys];

    /// <summary>Registers (or replaces) the handler of <paramref name="function"/>.</summary>
    /// <param name="function"><c>model_name.method_name</c>, e.g. <c>res.partner.send_mail</c>.</param>
    /// <param name="handler">The code that runs one job.</param>
    /// <param name="retryPattern">Delays between attempts after retryable errors; null for the worker's default.</param>
    public JobHandlerRegistry Register(string function, JobHandler handler, RetryPattern? retryPattern = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(function);
        ArgumentNullException.ThrowIfNull(handler);
        if (!function.Contains('.', StringComparison.Ordinal) || function.EndsWith('.') || function.StartsWith('.'))
        {
            throw new ArgumentException($"job function '{function}' must be model_name.method_name", nameof(function));
        }

        _functions[function] = new JobFunction(function, handler, retryPattern);
        return this;
    }

    /// <summary>The function registered under <paramref name="function"/>, or null.</summary>
    public JobFunction? Find(string function) => _functions.GetValueOrDefault(function);

    /// <summary>Whether <paramref name="function"/> is registered.</summary>
    public bool Contains(string function) => _functions.ContainsKey(function);
}
