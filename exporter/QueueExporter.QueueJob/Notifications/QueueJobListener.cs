using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.QueueJob.Notifications;

/// <summary>
/// Listens to <c>queue_job</c> notifications on one dedicated connection and never gives up: a lost
/// connection is reopened with capped, jittered exponential backoff. NOTIFY is only a fast path —
/// notifications sent while no session listens are lost — so every (re)connection is announced with
/// <see cref="ListenerConnected"/>, on which the consumer resynchronises from the table.
/// Events are written to an unbounded channel in order; a consumer that wants larger batches drains
/// <see cref="Events"/> with TryRead and merges consecutive <see cref="NotificationBatch"/> events.
/// A consumer that only forwards them sets <see cref="QueueJobListenerOptions.OnEvent"/> instead.
/// </summary>
public sealed partial class QueueJobListener
{
    private readonly QueueJobListenerOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private readonly Channel<ListenerEvent> _events = Channel.CreateUnbounded<ListenerEvent>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly List<string> _pending = [];
    private readonly System.Collections.Concurrent.ConcurrentQueue<ListenerSessionWork> _work = new();
    private CancellationTokenSource? _wake;
    private bool _hasListened;

    /// <summary>Creates a listener; nothing connects until <see cref="RunAsync"/>.</summary>
    public QueueJobListener(QueueJobListenerOptions options, ILogger<QueueJobListener>? logger = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>What happened, in order (nothing when <see cref="QueueJobListenerOptions.OnEvent"/> is set). Completed when <see cref="RunAsync"/> returns.</summary>
    public ChannelReader<ListenerEvent> Events => _events.Reader;

    /// <summary>Whether LISTEN is active right now.</summary>
    public bool IsListening { get; private set; }

    /// <summary>
    /// Runs <paramref name="work"/> on the listening session itself: the wait for notifications is
    /// interrupted, the work runs (in place of that round's keepalive ping), and the wait goes on. For periodic work that should not keep a pooled connection open for its own sake
    /// (a session that is busy anyway costs nothing more). Fails with
    /// <see cref="ListenerSessionUnavailableException"/> when the session is not connected or is lost first.
    /// </summary>
    public Task<T> RunOnSessionAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!IsListening)
        {
            return Task.FromException<T>(new ListenerSessionUnavailableException(_options.Name));
        }

        var item = new ListenerSessionWork<T>(work);
        _work.Enqueue(item);
        try
        {
            Volatile.Read(ref _wake)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That wait is over already; the pump sees the queued work before it waits again.
        }

        return item.Result;
    }

    /// <summary>Runs until cancelled; cancellation is the normal way out.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = new ReconnectBackoff(_options.InitialReconnectDelay, _options.MaxReconnectDelay);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TimeSpan delay;
                try
                {
                    var outcome = await ListenOnceAsync(backoff, cancellationToken);
                    if (outcome == SessionOutcome.Standby)
                    {
                        delay = _options.StandbyRetryInterval;
                        Publish(new ListenerStandby(delay));
                    }
                    else
                    {
                        continue;
                    }
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    IsListening = false;
                    delay = backoff.NextDelay();
                    var reason = DatabaseErrorDescriber.Describe(ex, DescribeEndpoint());
                    LogDisconnected(_logger, _options.Name, reason, delay.TotalSeconds);
                    Publish(new ListenerDisconnected(reason, delay));
                }

                await Task.Delay(delay, _clock, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Normal stop.
        }
        finally
        {
            IsListening = false;
            _events.Writer.TryComplete();
        }
    }

    private async Task<SessionOutcome> ListenOnceAsync(ReconnectBackoff backoff, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(_options.ConnectionString) { Pooling = false, ApplicationName = _options.ApplicationName };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            if (_options.PrepareConnectionAsync is { } prepare && !await prepare(connection, cancellationToken))
            {
                return SessionOutcome.Standby;
            }

            connection.Notification += (_, e) => _pending.Add(e.Payload);
            await using (var listen = new NpgsqlCommand($"LISTEN \"{_options.Channel.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection))
            {
                await listen.ExecuteNonQueryAsync(cancellationToken);
            }

            var isReconnect = _hasListened;
            _hasListened = true;
            IsListening = true;
            backoff.Reset();
            LogListening(_logger, _options.Name, isReconnect);
            Publish(new ListenerConnected(isReconnect));
            await PumpAsync(connection, cancellationToken);
            return SessionOutcome.Listened;
        }
        finally
        {
            IsListening = false;
            while (_work.TryDequeue(out var orphan))
            {
                orphan.Fail(new ListenerSessionUnavailableException(_options.Name));
            }

            _options.ConnectionClosed?.Invoke();
        }
    }

    private async Task PumpAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        // Pings keep to their interval even while notifications flow: receiving is not proof that the
        // server still hears us, and a server-side idle timeout counts only what the client sends.
        var lastPing = _clock.GetTimestamp();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var untilPing = _options.KeepAliveInterval - _clock.GetElapsedTime(lastPing);
            // Published before the work queue is checked, so work queued after the check cancels this very wait.
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Volatile.Write(ref _wake, wake);
            var due = untilPing <= TimeSpan.Zero;
            if (!due && _work.IsEmpty)
            {
                try
                {
                    due = !await connection.WaitAsync(untilPing, wake.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Woken for lent work.
                }
            }

            if (!_work.IsEmpty)
            {
                // Lent work talks to the server too: it stands in for this round's ping.
                while (_work.TryDequeue(out var item))
                {
                    await item.RunAsync(connection, cancellationToken);
                }

                lastPing = _clock.GetTimestamp();
            }
            else if (due)
            {
                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                await ping.ExecuteScalarAsync(cancellationToken);
                lastPing = _clock.GetTimestamp();
            }

            Flush();
        }
    }

    private void Flush()
    {
        for (var start = 0; start < _pending.Count; start += _options.MaxBatchSize)
        {
            var count = Math.Min(_options.MaxBatchSize, _pending.Count - start);
            Publish(new NotificationBatch(_pending.GetRange(start, count)));
        }

        _pending.Clear();
    }

    private void Publish(ListenerEvent ev)
    {
        if (_options.OnEvent is { } onEvent)
        {
            onEvent(ev);
        }
        else
        {
            _events.Writer.TryWrite(ev);
        }
    }

    private DatabaseEndpoint DescribeEndpoint() => DatabaseEndpoint.Parse(_options.ConnectionString);

    [LoggerMessage(Level = LogLevel.Information, Message = "listening to queue_job on {Database} (reconnect: {IsReconnect})")]
    private static partial void LogListening(ILogger logger, string database, bool isReconnect);

    [LoggerMessage(Level = LogLevel.Warning, Message = "queue_job listener on {Database} lost its connection: {Reason}; retrying in {RetrySeconds:0.0} s")]
    private static partial void LogDisconnected(ILogger logger, string database, string reason, double retrySeconds);

    private enum SessionOutcome
    {
        Listened,
        Standby,
    }
}
