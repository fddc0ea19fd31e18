using QueueExporter.Runner.Database;

namespace QueueExporter.Tests.Runner.Glue;

public class ConnectionBudgetTests
{
    [Fact]
    public async Task Work_beyond_the_budget_waits_for_a_slot_and_runs_when_one_frees()
    {
        using var budget = new ConnectionBudget(2);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = budget.RunAsync(() => release.Task, CancellationToken.None);
        var second = budget.RunAsync(() => release.Task, CancellationToken.None);
        var thirdStarted = false;
        var third = budget.RunAsync(() => { thirdStarted = true; return Task.FromResult(3); }, CancellationToken.None);

        Assert.False(thirdStarted);
        Assert.False(third.IsCompleted);

        release.SetResult(1);
        var results = await Task.WhenAll(first, second, third);
        Assert.Equal(new[] { 1, 1, 3 }, results);
        Assert.True(thirdStarted);
    }

    [Fact]
    public async Task A_failed_piece_of_work_gives_its_slot_back()
    {
        using var budget = new ConnectionBudget(1);

        await Assert.ThrowsAsync<InvalidOperationException>(() => budget.RunAsync<int>(() => throw new InvalidOperationException("boom"), CancellationToken.None));

        Assert.Equal(7, await budget.RunAsync(() => Task.FromResult(7), CancellationToken.None));
    }

    [Fact]
    public async Task Waiting_for_a_slot_can_be_cancelled()
    {
        using var budget = new ConnectionBudget(1);
        var hold = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holder = budget.RunAsync(() => hold.Task, CancellationToken.None);
        using var cancel = new CancellationTokenSource();

        var waiting = budget.RunAsync(() => Task.FromResult(2), cancel.Token);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        hold.SetResult(1);
        Assert.Equal(1, await holder);
    }
}
