using QueueExporter.Commands;
using Xunit;

namespace QueueExporter.Tests.Cli;

public class InlineSocketCompletionsTests
{
    [Fact]
    public void Without_a_configured_value_the_runner_turns_inline_completions_on()
    {
        Assert.Equal("1", InlineSocketCompletions.ValueToSet(null));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1")]
    [InlineData("")]
    public void A_value_the_operator_gave_is_left_alone(string configured)
    {
        Assert.Null(InlineSocketCompletions.ValueToSet(configured));
    }

    [Fact]
    public void The_variable_is_the_one_the_runtime_reads()
    {
        // The socket engine compares exactly this name with "1" (SocketAsyncEngine.Unix.cs); a typo would silently do nothing.
        Assert.Equal("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", InlineSocketCompletions.Variable);
    }
}
