using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Prometheus;
using QueueExporter.Runner;
using QueueExporter.Runner.Fleet;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Runner;

/// <summary>Fleet membership against real PostgreSQL: slots taken through advisory locks and read back from pg_locks.</summary>
public class FleetMembershipTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task Replicas_take_distinct_slots_see_each_other_and_see_one_leave()
    {
        var server = await PostgresServer.SharedAsync();
        await using var coordination = await server.CreateEmptyDatabaseAsync();
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var a = Member(coordination);
        var b = Member(coordination);
        var runA = a.RunAsync(stopA.Token);
        var runB = b.RunAsync(stopB.Token);
        try
        {
            await Eventually.UntilAsync(() => a.View?.Members.Count == 2 && b.View?.Members.Count == 2, Patience, "both replicas see two members");
            Assert.NotEqual(a.View!.Slot, b.View!.Slot);
            Assert.Equal([0, 1], a.View.Members);
            Assert.Null(a.Failure);

            await stopA.CancelAsync();
            await runA;
            await Eventually.UntilAsync(() => b.View?.Members.Count == 1, Patience, "the remaining replica sees the other leave");
            Assert.Equal([b.View!.Slot], b.View.Members);
        }
        finally
        {
            await stopA.CancelAsync();
            await stopB.CancelAsync();
            await Task.WhenAll(runA, runB);
        }
    }

    [Fact]
    public async Task A_replica_whose_membership_session_is_terminated_rejoins()
    {
        var server = await PostgresServer.SharedAsync();
        await using var coordination = await server.CreateEmptyDatabaseAsync();
        using var stop = new CancellationTokenSource();
        var member = Member(coordination);
        var run = member.RunAsync(stop.Token);
        try
        {
            await Eventually.UntilAsync(() => member.View is not null, Patience, "the replica joins");
            await using (var admin = await server.OpenAdminAsync())
            {
                Assert.Equal(1, await admin.ExecuteScalarAsync<long>(
                    "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE d.datname = @db AND l.locktype = 'advisory' AND l.objsubid = 2",
                    new { db = coordination.Name }));
            }

            await Eventually.UntilAsync(() => member.Failure is not null, Patience, "the replica notices its session is gone");
            await Eventually.UntilAsync(() => member.Failure is null, Patience, "the replica rejoins");
            Assert.Equal([member.View!.Slot], member.View.Members);
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    [Fact]
    public async Task A_taken_slot_is_skipped()
    {
        var server = await PostgresServer.SharedAsync();
        await using var coordination = await server.CreateEmptyDatabaseAsync();
        await using var squatter = await coordination.OpenConnectionAsync();
        await squatter.ExecuteAsync("SELECT pg_advisory_lock(@class, 0)", new { @class = FleetMembership.ClassId });
        using var stop = new CancellationTokenSource();
        var member = Member(coordination);
        var run = member.RunAsync(stop.Token);
        try
        {
            await Eventually.UntilAsync(() => member.View is not null, Patience, "the replica joins");
            Assert.Equal(1, member.View!.Slot);
            Assert.Equal([0, 1], member.View.Members);
        }
        finally
        {
            await stop.CancelAsync();
            await run;
        }
    }

    private static FleetMembership Member(TestDatabase coordination) =>
        new(coordination.ConnectionString, Interval, new RunnerMetrics(Metrics.NewCustomRegistry()), TimeProvider.System, NullLogger.Instance);
}
