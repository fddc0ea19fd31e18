using System.Net.Sockets;
using Npgsql;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.QueueJob.Connection;

/// <summary>
/// Turns the exceptions of a failed connection or query into one line an operator can act on at
/// 3 a.m.: which server, which database, what went wrong. Never includes the password or the
/// connection string (Npgsql's own messages do not, and the endpoint is described without them).
/// </summary>
public static class DatabaseErrorDescriber
{
    /// <summary>One line naming the problem and the server it concerns.</summary>
    public static string Describe(Exception exception, DatabaseEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(endpoint);
        var where = $"{endpoint.Host}:{endpoint.Port}";
        var database = endpoint.Database is null ? "" : $" database \"{endpoint.Database}\"";

        switch (Innermost(exception))
        {
            case QueueJobTableMissingException missing:
                return missing.Message;
            case PostgresException pg when pg.SqlState == PostgresErrorCodes.InvalidPassword:
                return $"authentication failed for user \"{endpoint.Username}\" at {where}: wrong password";
            case PostgresException pg when pg.SqlState == PostgresErrorCodes.InvalidAuthorizationSpecification:
                return $"PostgreSQL at {where} refused user \"{endpoint.Username}\": {FirstLine(pg.MessageText)}";
            case PostgresException pg when pg.SqlState == PostgresErrorCodes.InvalidCatalogName:
                return $"database \"{endpoint.Database}\" does not exist at {where}";
            case PostgresException pg when pg.SqlState is PostgresErrorCodes.QueryCanceled:
                return $"query on{database} at {where} was cancelled (statement timeout?): {FirstLine(pg.MessageText)}";
            case PostgresException pg when pg.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.CrashShutdown:
                return $"PostgreSQL at {where} is shutting down or starting up: {FirstLine(pg.MessageText)}";
            case PostgresException pg:
                return $"PostgreSQL error on{database} at {where}: {pg.SqlState} {FirstLine(pg.MessageText)}";
            case SocketException socket when socket.SocketErrorCode == SocketError.ConnectionRefused:
                return $"cannot reach PostgreSQL at {where}: connection refused (is the server running and listening there?)";
            case SocketException socket when socket.SocketErrorCode is SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData:
                return $"cannot reach PostgreSQL at {where}: host name \"{endpoint.Host}\" does not resolve";
            case SocketException socket:
                return $"cannot reach PostgreSQL at {where}: {socket.SocketErrorCode}";
            case TimeoutException:
                return $"cannot reach PostgreSQL at {where}: timed out";
            case NpgsqlException npgsql when npgsql.InnerException is TimeoutException || npgsql.Message.Contains("Timeout", StringComparison.OrdinalIgnoreCase):
                return $"cannot reach PostgreSQL at {where}: timed out";
            case NpgsqlException npgsql:
                return $"PostgreSQL connection problem with{database} at {where}: {FirstLine(npgsql.Message)}";
            case OperationCanceledException:
                return $"operation on{database} at {where} was cancelled";
            default:
                return $"{FirstLine(exception.Message)} ({where}{(endpoint.Database is null ? "" : "/" + endpoint.Database)})";
        }
    }

    private static Exception Innermost(Exception exception)
    {
        // Npgsql wraps socket and timeout errors; PostgresException is the most specific of its own.
        var current = exception;
        while (current is not PostgresException and not QueueJobTableMissingException && current.InnerException is { } inner)
        {
            current = inner;
        }

        return current is AggregateException { InnerException: { } only } ? only : current;
    }

    private static string FirstLine(string text)
    {
        var newline = text.IndexOfAny(['\r', '\n']);
        return newline < 0 ? text : text[..newline];
    }
}
