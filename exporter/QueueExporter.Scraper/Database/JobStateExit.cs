namespace QueueExporter.Scraper.Database;

/// <summary>
/// A job the follower had seen in a terminal state that left it: requeued by a person (failed →
/// pending), or set done or cancelled by hand after failing. Its old state's total drops by one.
/// </summary>
/// <param name="Channel">The job's channel.</param>
/// <param name="State">The terminal state it left.</param>
public sealed record JobStateExit(string Channel, string State);
