using System.Text.RegularExpressions;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Options;

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
        catch (ListenUnavailableException ex)
        {
            // A run-time condition, not a bad option: the same value may work once the port is free.
            await Console.Error.WriteLineAsync($"queue-exporter: {ex.Message}");
            return RuntimeError;
        }
        catch (IOException ex) when (ListenFailure(ex) is { } line)
        {
            // A run-time condition, not a bad option: the same value may work once the port is free.
            await Console.Error.WriteLineAsync($"queue-exporter: {line}");
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

    /// <summary>
    /// Kestrel's bind failure ("Failed to bind to address http://127.0.0.1:9731: address already in use.")
    /// as one line: "cannot listen on 127.0.0.1:9731: address already in use"; null for any other I/O error.
    /// </summary>
    internal static string? ListenFailure(IOException exception)
    {
        var match = Regex.Match(exception.Message, @"^Failed to bind to address (?:https?://)?(?<address>\S+): (?<reason>[^\r\n]+?)\.?$", RegexOptions.Multiline);
        return match.Success ? $"cannot listen on {match.Groups["address"].Value}: {match.Groups["reason"].Value}" : null;
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
