namespace QueueExporter.QueueJob.Time;

/// <summary>
/// The one place where database time is converted. Odoo stores datetimes as
/// <c>timestamp without time zone</c> holding naive UTC: we write a UTC wall clock with an
/// unspecified kind (Npgsql rejects UTC-kind values for that type) and read naive values back as UTC.
/// </summary>
public static class DbTime
{
    /// <summary>A moment as the naive-UTC value Odoo stores.</summary>
    public static DateTime ToDb(DateTimeOffset moment) => DateTime.SpecifyKind(moment.UtcDateTime, DateTimeKind.Unspecified);

    /// <summary>A naive-UTC value from the table as a moment.</summary>
    public static DateTimeOffset FromDb(DateTime naiveUtc) => new(DateTime.SpecifyKind(naiveUtc, DateTimeKind.Unspecified).Ticks, TimeSpan.Zero);

    /// <summary>Like <see cref="FromDb(DateTime)"/> for nullable columns.</summary>
    public static DateTimeOffset? FromDb(DateTime? naiveUtc) => naiveUtc is { } value ? FromDb(value) : null;

    /// <summary>Now, as the naive-UTC value Odoo stores.</summary>
    public static DateTime Now(TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return ToDb(clock.GetUtcNow());
    }
}
