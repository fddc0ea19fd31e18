using System.Text.Json;

namespace QueueExporter.Worker.Handlers;

/// <summary>
/// What a handler knows about the job it runs: the row's identity and call arguments as stored
/// (text JSON up to 17.0, jsonb in 18.0: both arrive here as JSON text).
/// </summary>
public sealed class JobContext
{
    private JsonElement? _args;
    private JsonElement? _kwargs;

    /// <summary>Creates a context; the worker does this, tests of handlers may too.</summary>
    public JobContext(string database, string uuid, string function, string channel, string argsJson, string kwargsJson, int retry, int maxRetries)
    {
        Database = database;
        Uuid = uuid;
        Function = function;
        Channel = channel;
        ArgsJson = string.IsNullOrWhiteSpace(argsJson) ? "[]" : argsJson;
        KwargsJson = string.IsNullOrWhiteSpace(kwargsJson) ? "{}" : kwargsJson;
        Retry = retry;
        MaxRetries = maxRetries;
    }

    /// <summary>The database the job lives in.</summary>
    public string Database { get; }

    /// <summary>The job's uuid.</summary>
    public string Uuid { get; }

    /// <summary><c>model_name.method_name</c>, the name the handler was registered under.</summary>
    public string Function { get; }

    /// <summary>The job's full channel, e.g. <c>root.mail</c>.</summary>
    public string Channel { get; }

    /// <summary>Positional arguments as stored: a JSON array.</summary>
    public string ArgsJson { get; }

    /// <summary>Keyword arguments as stored: a JSON object.</summary>
    public string KwargsJson { get; }

    /// <summary>How many earlier attempts of this job ended in a retry: 0 on the first run.</summary>
    public int Retry { get; }

    /// <summary>Attempts allowed before a retryable error fails the job; 0 means no limit.</summary>
    public int MaxRetries { get; }

    /// <summary><see cref="ArgsJson"/> parsed (an array, unless the row holds something else).</summary>
    public JsonElement Args => _args ??= Parse(ArgsJson);

    /// <summary><see cref="KwargsJson"/> parsed.</summary>
    public JsonElement Kwargs => _kwargs ??= Parse(KwargsJson);

    private static JsonElement Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
