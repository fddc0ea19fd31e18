using Npgsql;

namespace QueueExporter.QueueJob.Notifications;

/// <summary>
/// Work queued to run on a listener's own session between two waits for notifications
/// (<see cref="QueueJobListener.RunOnSessionAsync"/>). Its outcome, an exception included, goes to the
/// caller's task and never ends the listener; a broken connection is noticed by the next wait.
/// </summary>
internal abstract class ListenerSessionWork
{
    public abstract Task RunAsync(NpgsqlConnection connection, CancellationToken cancellationToken);

    public abstract void Fail(Exception exception);
}

/// <summary>Work with a result of type <typeparamref name="T"/>.</summary>
internal sealed class ListenerSessionWork<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work) : ListenerSessionWork
{
    private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Result => _result.Task;

    public override async Task RunAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        try
        {
            _result.TrySetResult(await work(connection, cancellationToken));
        }
#pragma warning disable CA1031 // The caller owns the work and its failures; the listener only lends its session.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _result.TrySetException(ex);
        }
    }

    public override void Fail(Exception exception) => _result.TrySetException(exception);
}
