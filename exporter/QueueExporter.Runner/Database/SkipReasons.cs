namespace QueueExporter.Runner.Database;

/// <summary>The <c>reason</c> label values of <c>queue_runner_skipped_rows_total</c>: a fixed set.</summary>
internal static class SkipReasons
{
    /// <summary>uuid is NULL or empty: the job cannot be named to a worker.</summary>
    public const string NullUuid = "null_uuid";

    /// <summary>uuid longer than <see cref="JobRowDecoder.MaxUuidLength"/> or holding control characters.</summary>
    public const string BadUuid = "bad_uuid";

    /// <summary>state is NULL.</summary>
    public const string NullState = "null_state";

    /// <summary>state is none of queue_job's states.</summary>
    public const string UnknownState = "unknown_state";

    /// <summary>Not a skip: a timestamp outside .NET's range (or infinity) was clamped to the nearest end; the job is kept.</summary>
    public const string ClampedTimestamp = "clamped_timestamp";
}
