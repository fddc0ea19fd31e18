using QueueExporter.Runner.Database;

namespace QueueExporter.Tests.Runner.Glue;

public class JobRowDecoderTests
{
    private static string? Decode(string? uuid = "u1", string? state = "pending", double? created = 0, double? eta = null) =>
        JobRowDecoder.TryDecode("db", uuid, state, "root", 10, created, 1, eta, out _, out _);

    [Fact]
    public void An_ordinary_row_decodes_with_microsecond_timestamps()
    {
        Assert.Null(JobRowDecoder.TryDecode("db", "u1", "pending", "root.a", 5, 1_767_225_600.123456, 7, null, out var facts, out var clamped));
        Assert.False(clamped);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1_234_560), facts.DateCreated);
        Assert.Equal(("u1", "pending", "root.a", 5, 7), (facts.Uuid, facts.State, facts.Channel, facts.Priority, facts.Id));
        Assert.Null(facts.Eta);
    }

    [Theory]
    [InlineData(double.PositiveInfinity)]
    [InlineData(9_224_318_015_999.0)] // 294276 AD, PostgreSQL's last timestamp
    [InlineData(double.NegativeInfinity)]
    [InlineData(-210_866_803_200.0)] // 4713 BC, PostgreSQL's first
    [InlineData(double.NaN)]
    public void Timestamps_outside_dotnets_range_are_clamped_not_thrown(double epochSeconds)
    {
        Assert.Null(JobRowDecoder.TryDecode("db", "u1", "pending", null, 10, epochSeconds, 1, epochSeconds, out var facts, out var clamped));
        Assert.True(clamped);
        Assert.True(facts.DateCreated == DateTimeOffset.MinValue || facts.DateCreated == DateTimeOffset.MaxValue);
        Assert.Equal(facts.DateCreated, facts.Eta);
    }

    [Theory]
    [InlineData(-62_135_596_800.0)] // 0001-01-01, .NET's first instant
    [InlineData(253_402_300_799.0)] // 9999-12-31 23:59:59
    public void The_ends_of_dotnets_own_range_are_kept_as_they_are(double epochSeconds)
    {
        Assert.Null(JobRowDecoder.TryDecode("db", "u1", "pending", null, 10, epochSeconds, 1, null, out var facts, out var clamped));
        Assert.False(clamped);
        Assert.Equal(epochSeconds, (facts.DateCreated - DateTimeOffset.UnixEpoch).TotalSeconds);
    }

    [Fact]
    public void A_far_future_eta_keeps_the_job_waiting_rather_than_dropping_it()
    {
        Assert.Null(JobRowDecoder.TryDecode("db", "u1", "pending", null, 10, 0, 1, double.PositiveInfinity, out var facts, out _));
        Assert.Equal(DateTimeOffset.MaxValue, facts.Eta);
    }

    [Fact]
    public void Rows_that_cannot_be_scheduled_are_named_by_reason()
    {
        Assert.Equal(SkipReasons.NullUuid, Decode(uuid: null));
        Assert.Equal(SkipReasons.NullUuid, Decode(uuid: ""));
        Assert.Equal(SkipReasons.BadUuid, Decode(uuid: new string('x', JobRowDecoder.MaxUuidLength + 1)));
        Assert.Equal(SkipReasons.BadUuid, Decode(uuid: "a\nb"));
        Assert.Equal(SkipReasons.NullState, Decode(state: null));
        Assert.Equal(SkipReasons.UnknownState, Decode(state: "exploded"));
    }

    [Fact]
    public void Missing_dates_mean_first_in_line_and_no_eta()
    {
        Assert.Null(JobRowDecoder.TryDecode("db", "u1", "failed", null, 10, null, 1, null, out var facts, out var clamped));
        Assert.False(clamped);
        Assert.Equal(DateTimeOffset.MinValue, facts.DateCreated);
        Assert.Null(facts.Eta);
    }

    [Fact]
    public void A_loaded_row_with_a_guid_keeps_it_and_carries_no_text()
    {
        var uuid = Guid.NewGuid();
        Assert.Null(JobRowDecoder.TryDecodeLoaded(uuid, null, "pending", "root.a", 5, 1_767_225_600.123456, 7, 1_767_225_601, out var job, out var clamped));
        Assert.False(clamped);
        Assert.Equal((uuid, (string?)null, "pending", "root.a", 5, 7), (job.Uuid, job.UuidText, job.State, job.Channel, job.Priority, job.Id));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1_234_560).UtcTicks, job.CreatedTicks);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 1, TimeSpan.Zero).UtcTicks, job.EtaTicks);
    }

    [Fact]
    public void A_loaded_row_keyed_by_text_keeps_its_text_unless_the_text_is_canonical()
    {
        var uuid = Guid.NewGuid();
        var upper = uuid.ToString("D").ToUpperInvariant();
        Assert.Null(JobRowDecoder.TryDecodeLoaded(null, upper, "pending", null, 10, 0, 1, null, out var kept, out _));
        Assert.Equal((Guid.Empty, upper), (kept.Uuid, kept.UuidText));

        // The runner, not the server's test, decides what is canonical: the re-read of a notification parses the same way.
        Assert.Null(JobRowDecoder.TryDecodeLoaded(null, uuid.ToString("D"), "pending", null, 10, 0, 1, null, out var parsed, out _));
        Assert.Equal((uuid, (string?)null), (parsed.Uuid, parsed.UuidText));
    }

    [Fact]
    public void A_loaded_row_is_skipped_or_clamped_as_a_re_read_one_is()
    {
        static string? Loaded(Guid? uuid = null, string? text = "u1", string? state = "pending", double? created = 0, double? eta = null) =>
            JobRowDecoder.TryDecodeLoaded(uuid, text, state, "root", 10, created, 1, eta, out _, out _);

        Assert.Equal(SkipReasons.NullUuid, Loaded(text: null));
        Assert.Equal(SkipReasons.NullUuid, Loaded(text: ""));
        Assert.Equal(SkipReasons.BadUuid, Loaded(text: new string('x', JobRowDecoder.MaxUuidLength + 1)));
        Assert.Equal(SkipReasons.BadUuid, Loaded(text: "a\nb"));
        Assert.Equal(SkipReasons.NullState, Loaded(Guid.NewGuid(), null, state: null));
        Assert.Equal(SkipReasons.UnknownState, Loaded(state: "exploded"));

        Assert.Null(JobRowDecoder.TryDecodeLoaded(Guid.NewGuid(), null, "pending", null, 10, double.NaN, 1, double.PositiveInfinity, out var job, out var clamped));
        Assert.True(clamped);
        Assert.Equal((DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks), (job.CreatedTicks, job.EtaTicks));
    }
}
