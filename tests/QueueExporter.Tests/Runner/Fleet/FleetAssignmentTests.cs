using QueueExporter.Runner.Fleet;
using Xunit;

namespace QueueExporter.Tests.Runner.Fleet;

public class FleetAssignmentTests
{
    private static readonly string[] Sixty = [.. Enumerable.Range(0, 60).Select(i => $"odoo_{i:000}")];

    [Fact]
    public void Sixty_databases_over_three_replicas_give_each_exactly_twenty()
    {
        var assignment = FleetAssignment.Assign(Sixty, [0, 1, 2]);

        Assert.Equal(60, assignment.Count);
        Assert.All(new[] { 0, 1, 2 }, slot => Assert.Equal(20, assignment.Values.Count(s => s == slot)));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 3)]
    [InlineData(61, 3)]
    [InlineData(100, 7)]
    [InlineData(1000, 9)]
    [InlineData(3, 5)]
    public void No_replica_gets_more_than_its_rounded_up_share_and_every_database_has_one(int databases, int replicas)
    {
        var names = Enumerable.Range(0, databases).Select(i => $"db{i}").ToList();
        var slots = Enumerable.Range(0, replicas).Select(i => i * 3).ToList(); // slots need not be contiguous

        var assignment = FleetAssignment.Assign(names, slots);

        Assert.Equal(databases, assignment.Count);
        var bound = (databases + replicas - 1) / replicas;
        Assert.All(slots, slot => Assert.InRange(assignment.Values.Count(s => s == slot), 0, bound));
        Assert.All(assignment.Values, slot => Assert.Contains(slot, slots));
    }

    [Fact]
    public void Every_replica_computes_the_same_assignment_whatever_the_order_it_lists_things_in()
    {
        var first = FleetAssignment.Assign(Sixty, [2, 0, 1]);
        var second = FleetAssignment.Assign(Sixty.Reverse(), [1, 2, 0, 2]);

        Assert.Equal(first.OrderBy(a => a.Key), second.OrderBy(a => a.Key));
    }

    [Fact]
    public void When_a_replica_leaves_only_its_databases_and_few_others_move()
    {
        var before = FleetAssignment.Assign(Sixty, [0, 1, 2]);
        var after = FleetAssignment.Assign(Sixty, [0, 2]);

        var moved = Sixty.Where(d => before[d] != after[d]).ToList();
        var ownedByGone = before.Count(a => a.Value == 1);

        // Its twenty must move; a bounded-load hash moves a few more, not the whole table.
        Assert.All(before.Where(a => a.Value == 1), a => Assert.Contains(a.Key, moved));
        Assert.InRange(moved.Count, ownedByGone, ownedByGone + 12);
        Assert.All(new[] { 0, 2 }, slot => Assert.Equal(30, after.Values.Count(s => s == slot)));
    }

    [Fact]
    public void A_joining_replica_takes_its_share_mostly_from_the_others_surplus()
    {
        var before = FleetAssignment.Assign(Sixty, [0, 2]);
        var after = FleetAssignment.Assign(Sixty, [0, 1, 2]);

        var moved = Sixty.Count(d => before[d] != after[d]);

        Assert.Equal(20, after.Values.Count(s => s == 1));
        Assert.InRange(moved, 20, 32);
    }

    [Fact]
    public void No_members_assigns_nothing_and_For_names_one_replicas_share()
    {
        Assert.Empty(FleetAssignment.Assign(Sixty, []));

        var all = FleetAssignment.Assign(Sixty, [0, 1, 2]);
        var mine = FleetAssignment.For(1, Sixty, [0, 1, 2]);

        Assert.Equal(all.Where(a => a.Value == 1).Select(a => a.Key).Order(), mine.Order());
    }
}
