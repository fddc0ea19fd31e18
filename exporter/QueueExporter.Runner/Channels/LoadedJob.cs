namespace QueueExporter.Runner.Channels;

/// <summary>
/// One row of a full load, as the scheduler takes it: the compact form of <see cref="JobFacts"/> for the one
/// path that carries a million rows at a time. A canonical lowercase uuid (what Odoo writes) arrives as a
/// <see cref="Guid"/>, cast by PostgreSQL, so the row costs no uuid string and no parse; any other text arrives
/// as <see cref="UuidText"/> and keys a <see cref="TextKeyedJob"/>. Times are UTC ticks, as the job keeps them.
/// </summary>
/// <param name="Uuid">The uuid when canonical; <see cref="Guid.Empty"/> when <paramref name="UuidText"/> is set.</param>
/// <param name="UuidText">The uuid as stored when it is not a canonical lowercase uuid; otherwise null.</param>
/// <param name="State">The row's state, one of the <c>JobStates</c> constants.</param>
/// <param name="Channel">The row's channel, full or without <c>root.</c>; null means root.</param>
/// <param name="Priority">Lower runs first.</param>
/// <param name="CreatedTicks">UTC ticks of date_created (second ordering key).</param>
/// <param name="Id">Third ordering key.</param>
/// <param name="EtaTicks">UTC ticks of the eta; 0 for none.</param>
public readonly record struct LoadedJob(
    Guid Uuid,
    string? UuidText,
    string State,
    string? Channel,
    int Priority,
    long CreatedTicks,
    int Id,
    long EtaTicks)
{
    /// <summary>The uuid as text, as a log line or a test names it (allocates for a canonical uuid).</summary>
    public string UuidString => UuidText ?? Uuid.ToString("D");
}
