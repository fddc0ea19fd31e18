using System.CommandLine;
using QueueExporter.Commands;
using Xunit;

namespace QueueExporter.Tests.Cli;

/// <summary>A Native AOT build runs the runner only; everything else is refused with one line before it starts.</summary>
public class NativeAotCommandsTests
{
    private static readonly RootCommand Root = new("test")
    {
        new Command("runner"),
        new Command("worker"),
        new Command("schema") { new Command("install"), new Command("check") },
    };

    [Theory]
    [InlineData("runner")]
    [InlineData("")]
    public void The_runner_and_the_bare_root_run_in_a_native_build(string command)
    {
        Assert.Null(NativeAotCommands.Refusal(Root.Parse(command), dynamicCodeSupported: false));
    }

    [Theory]
    [InlineData("worker", "worker")]
    [InlineData("schema install", "schema")]
    [InlineData("schema check", "schema")]
    public void Other_commands_are_refused_in_a_native_build_by_their_top_level_name(string command, string named)
    {
        var refusal = NativeAotCommands.Refusal(Root.Parse(command), dynamicCodeSupported: false);

        Assert.NotNull(refusal);
        Assert.Contains($"`{named}`", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', refusal);
    }

    [Theory]
    [InlineData("worker")]
    [InlineData("schema install")]
    public void Nothing_is_refused_on_the_jit(string command)
    {
        Assert.Null(NativeAotCommands.Refusal(Root.Parse(command), dynamicCodeSupported: true));
    }
}
