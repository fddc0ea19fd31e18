using System.Threading.Channels;
using Dapper;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Notifications;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.QueueJob;

public class QueueJobListenerTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private static QueueJobListener NewListener(TestDatabase database, Func<Npgsql.NpgsqlConnection, CancellationToken, ValueTask<bool>>? prepare = null, Action<ListenerEvent>? onEvent = null) => new(new QueueJobListenerOptions
    {
        ConnectionString = database.ConnectionString,
        Name = database.Name,
        InitialReconnectDelay = TimeSpan.FromMilliseconds(50),
        MaxReconnectDelay = TimeSpan.FromMilliseconds(200),
        StandbyRetryInterval = TimeSpan.FromMilliseconds(100),
        ApplicationName = "listener-test",
        PrepareConnectionAsync = prepare,
        OnEvent = onEvent,
    });

    private static async Task<T> NextAsync<T>(ChannelReader<ListenerEvent> events)
        where T : ListenerEvent
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var next = await events.ReadAsync(cts.Token);
            if (next is T wanted)
            {
                return wanted;
            }
        }
    }

    private static async Task<HashSet<string>> CollectUuidsAsync(ChannelReader<ListenerEvent> events, int count)
    {
        var seen = new HashSet<string>();
        while (seen.Count < count)
        {
            seen.UnionWith((await NextAsync<NotificationBatch>(events)).Uuids);
        }

        return seen;
    }

    [Fact]
    public async Task The_listener_announces_its_connection_then_delivers_the_uuids_of_changed_jobs()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var listener = NewListener(database);
        using var stop = new CancellationTokenSource();
        var run = listener.RunAsync(stop.Token);

        var connected = await NextAsync<ListenerConnected>(listener.Events);
        await using var connection = await database.OpenConnectionAsync();
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));
        var uuids = await enqueuer.EnqueueManyAsync(connection, [.. Enumerable.Range(0, 300).Select(_ => new NewJob { ModelName = "m", MethodName = "f" })], null, CancellationToken.None);

        Assert.False(connected.IsReconnect);
        Assert.True((await CollectUuidsAsync(listener.Events, 300)).SetEquals(uuids));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task A_terminated_connection_is_reported_reopened_and_announced_for_resynchronisation()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var listener = NewListener(database);
        using var stop = new CancellationTokenSource();
        var run = listener.RunAsync(stop.Token);
        await NextAsync<ListenerConnected>(listener.Events);
        await using var connection = await database.OpenConnectionAsync();

        var terminated = await connection.ExecuteScalarAsync<int>(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'listener-test'");

        Assert.Equal(1, terminated);
        var gap = await NextAsync<ListenerDisconnected>(listener.Events);
        Assert.Contains("terminat", gap.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.True((await NextAsync<ListenerConnected>(listener.Events)).IsReconnect);
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));
        var uuid = await enqueuer.EnqueueAsync(connection, new NewJob { ModelName = "m", MethodName = "f" }, null, CancellationToken.None);
        Assert.Contains(uuid, await CollectUuidsAsync(listener.Events, 1));
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task A_declining_prepare_hook_puts_the_listener_on_standby_until_it_accepts()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var attempts = 0;
        var listener = NewListener(database, (_, _) => ValueTask.FromResult(Interlocked.Increment(ref attempts) >= 3));
        using var stop = new CancellationTokenSource();
        var run = listener.RunAsync(stop.Token);

        await NextAsync<ListenerStandby>(listener.Events);
        await NextAsync<ListenerConnected>(listener.Events);

        Assert.Equal(3, Volatile.Read(ref attempts));
        Assert.True(listener.IsListening);
        await stop.CancelAsync();
        await run;
        Assert.False(listener.IsListening);
    }

    [Fact]
    public async Task With_an_event_hook_every_event_goes_to_the_hook_in_order_and_none_to_the_channel()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var hooked = Channel.CreateUnbounded<ListenerEvent>();
        var listener = NewListener(database, onEvent: ev => hooked.Writer.TryWrite(ev));
        using var stop = new CancellationTokenSource();
        var run = listener.RunAsync(stop.Token);

        using (var first = new CancellationTokenSource(Timeout))
        {
            Assert.IsType<ListenerConnected>(await hooked.Reader.ReadAsync(first.Token));
        }

        await using var connection = await database.OpenConnectionAsync();
        var enqueuer = new JobEnqueuer(await SchemaDetector.DetectAsync(connection, CancellationToken.None));
        var uuids = await enqueuer.EnqueueManyAsync(connection, [.. Enumerable.Range(0, 50).Select(_ => new NewJob { ModelName = "m", MethodName = "f" })], null, CancellationToken.None);
        Assert.True((await CollectUuidsAsync(hooked.Reader, 50)).SetEquals(uuids));
        await stop.CancelAsync();
        await run;

        var onChannel = 0;
        await foreach (var unused in listener.Events.ReadAllAsync())
        {
            onChannel++;
        }

        Assert.Equal(0, onChannel);
    }
}
