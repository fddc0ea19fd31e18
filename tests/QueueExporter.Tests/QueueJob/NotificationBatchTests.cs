using System.Threading.Channels;
using QueueExporter.QueueJob.Notifications;

namespace QueueExporter.Tests.QueueJob;

public class NotificationBatchTests
{
    [Fact]
    public void Queued_batches_merge_until_an_event_of_another_kind()
    {
        var events = Channel.CreateUnbounded<ListenerEvent>();
        events.Writer.TryWrite(new NotificationBatch(["b", "a"]));
        events.Writer.TryWrite(new NotificationBatch(["c"]));
        events.Writer.TryWrite(new ListenerConnected(IsReconnect: true));
        events.Writer.TryWrite(new NotificationBatch(["d"]));

        var merged = new NotificationBatch(["a"]).MergeQueued(events.Reader, 100, out var notifications);

        Assert.Equal(["a", "b", "c"], merged.Order());
        Assert.Equal(4, notifications);
        Assert.True(events.Reader.TryRead(out var next) && next is ListenerConnected);
    }

    [Fact]
    public void Merging_stops_once_the_bound_is_reached_and_leaves_the_rest_queued()
    {
        var events = Channel.CreateUnbounded<ListenerEvent>();
        events.Writer.TryWrite(new NotificationBatch(["b"]));
        events.Writer.TryWrite(new NotificationBatch(["c"]));

        var merged = new NotificationBatch(["a"]).MergeQueued(events.Reader, 2, out _);

        Assert.Equal(2, merged.Count);
        Assert.True(events.Reader.TryRead(out var rest) && rest is NotificationBatch { Uuids: ["c"] });
    }
}
