using System.Threading.Channels;
using Dapper;
using QueueExporter.QueueJob.Notifications;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.QueueJob;

/// <summary>Work lent to the listening session runs at once (the wait is interrupted), and the session goes on listening.</summary>
public class ListenerSessionWorkTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Lent_work_interrupts_a_long_wait_and_the_session_keeps_listening()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var listener = new QueueJobListener(new QueueJobListenerOptions
        {
            ConnectionString = database.ConnectionString,
            Name = database.Name,
            ApplicationName = "listener-work-test",
            // Far longer than the test's deadlines: work must not wait for the next keepalive round.
            KeepAliveInterval = TimeSpan.FromMinutes(10),
        });
        using var stop = new CancellationTokenSource();
        var running = listener.RunAsync(stop.Token);
        await NextAsync<ListenerConnected>(listener.Events);

        int sessionPid = 0;
        for (var i = 0; i < 3; i++)
        {
            var pid = await listener.RunOnSessionAsync((connection, ct) => connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT pg_backend_pid()", cancellationToken: ct))).WaitAsync(Timeout);
            Assert.True(sessionPid == 0 || pid == sessionPid, "every piece of work ran on the one listening session");
            sessionPid = pid;
        }

        var failing = listener.RunOnSessionAsync<int>((connection, ct) => connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT 1/0", cancellationToken: ct)));
        await Assert.ThrowsAsync<Npgsql.PostgresException>(() => failing.WaitAsync(Timeout));

        await using (var other = await database.OpenConnectionAsync())
        {
            await other.ExecuteAsync("SELECT pg_notify('queue_job', 'after-the-work')");
        }

        var batch = await NextAsync<NotificationBatch>(listener.Events);
        Assert.Equal(["after-the-work"], batch.Uuids);
        await stop.CancelAsync();
        await running;
        await Assert.ThrowsAsync<ListenerSessionUnavailableException>(() => listener.RunOnSessionAsync((_, _) => Task.FromResult(1)));
    }

    private static async Task<T> NextAsync<T>(ChannelReader<ListenerEvent> events)
        where T : ListenerEvent
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            if (await events.ReadAsync(cts.Token) is T wanted)
            {
                return wanted;
            }
        }
    }
}
