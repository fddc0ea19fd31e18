using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Commands;

/// <summary>
/// Runs a command body and turns any failure into one line on stderr and a non-zero exit code:
/// an operator reads one clear sentence, never a stack trace or a connection string.
/// </summary>
internal static class CommandFailure
{
    /// <summary>Exit code for a failure at run time (database, network).</summary>
    public const int RuntimeError = 1;

    /// <summary>Exit code for a bad option value.</summary>
    public const int UsageError = 2;

    public static async Task<int> RunAsync(Func<Task<int>> body, Func<DatabaseEndpoint?> endpointForMessages)
    {
        try
        {
            return await body();
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync($"queue-exporter: {ex.Message}");
            return UsageError;
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync($"queue-exporter: {ex.Message}");
            return UsageError;
        }
        catch (OperationCanceledException)
        {
            return RuntimeError;
        }
        catch (Exception ex)
        {
            var endpoint = SafeEndpoint(endpointForMessages);
            var line = endpoint is null ? ex.Message.Split('\n')[0] : DatabaseErrorDescriber.Describe(ex, endpoint);
            await Console.Error.WriteLineAsync($"queue-exporter: {line}");
            return RuntimeError;
        }
    }

    private static DatabaseEndpoint? SafeEndpoint(Func<DatabaseEndpoint?> endpointForMessages)
    {
        try
        {
            return endpointForMessages();
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
