using QueueExporter.Commands;

namespace QueueExporter.Tests.Cli;

public class EnqueueOptionTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("5m", 300)]
    [InlineData("2h", 7200)]
    public void A_relative_eta_counts_from_now(string text, int seconds)
    {
        Assert.Equal(Now.AddSeconds(seconds), EnqueueCommand.ParseEta(text, Now));
    }

    [Fact]
    public void An_absolute_eta_without_offset_is_utc()
    {
        Assert.Equal(new DateTimeOffset(2026, 2, 3, 4, 5, 6, TimeSpan.Zero), EnqueueCommand.ParseEta("2026-02-03T04:05:06", Now));
    }

    [Fact]
    public void A_garbled_eta_is_refused_with_the_option_named()
    {
        var error = Assert.Throws<ArgumentException>(() => EnqueueCommand.ParseEta("tomorrow", Now));

        Assert.Contains("--eta", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("res.partner.send_mail", "res.partner", "send_mail")]
    [InlineData("m.f", "m", "f")]
    public void A_function_splits_at_its_last_dot(string function, string model, string method)
    {
        Assert.Equal((model, method), EnqueueCommand.SplitFunction(function));
    }

    [Theory]
    [InlineData("nodot")]
    [InlineData(".f")]
    [InlineData("m.")]
    public void A_function_without_model_and_method_is_refused(string function)
    {
        Assert.Throws<ArgumentException>(() => EnqueueCommand.SplitFunction(function));
    }

    [Theory]
    [InlineData("root..x")]
    [InlineData("mail.")]
    [InlineData("root.mail:2")]
    [InlineData("a,b")]
    public void A_channel_name_the_runner_could_not_configure_is_refused(string channel)
    {
        var error = Assert.Throws<ArgumentException>(() => EnqueueCommand.ValidateChannel(channel));

        Assert.StartsWith("--channel: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mail", "root.mail")]
    [InlineData("root.edi.sub", "root.edi.sub")]
    [InlineData("root", "root")]
    public void A_channel_name_is_written_in_full(string channel, string full)
    {
        Assert.Equal(full, EnqueueCommand.ValidateChannel(channel));
    }

    [Fact]
    public void A_depends_on_value_that_is_not_a_uuid_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => EnqueueCommand.ValidateUuids(["not-a-uuid"]));

        Assert.Contains("'not-a-uuid'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_depends_on_uuid_is_written_as_odoo_writes_it()
    {
        Assert.Equal(["0b8e5f0a-3c1d-4e8a-9f2b-1c2d3e4f5a6b"], EnqueueCommand.ValidateUuids(["0B8E5F0A-3C1D-4E8A-9F2B-1C2D3E4F5A6B"]));
    }
}
