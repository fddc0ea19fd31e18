using Npgsql;

namespace QueueExporter.Runner.Database;

/// <summary>
/// After a server restart or pg_terminate_backend the pool still holds dead connections; the first
/// command on one fails and the pool drops it. One retry on a fresh connection turns that into a
/// non-event instead of a lost notification batch. Errors the server reports (PostgresException:
/// bad SQL, constraint) are not retried: they would fail again.
/// </summary>
internal static class BrokenConnectionRetry
{
    public static async Task<T> RunAsync<T>(NpgsqlDataSource dataSource, Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            return await work(connection);
        }
        catch (NpgsqlException ex) when (ex is not PostgresException || ex.IsTransient)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            return await work(connection);
        }
    }
}
