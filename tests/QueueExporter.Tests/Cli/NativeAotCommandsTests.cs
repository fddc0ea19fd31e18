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

    [Fact]
    public void The_placeholders_name_every_command_of_the_standard_build_but_the_runner()
    {
        string[] standard = [WorkerCommand.Create().Name, ScrapeCommand.Create().Name, SchemaCommand.Create().Name, EnqueueCommand.Create().Name, DemoCommand.Create().Name];

        Assert.Equal(standard.Order(), NativeAotCommands.Placeholders().Select(c => c.Name).Order());
    }

    [Theory]
    [InlineData("worker --database-url postgres://x/y --max-concurrent-jobs 4", "worker")]
    [InlineData("schema install --monitoring-index", "schema")]
    [InlineData("demo --help", "demo")]
    public void A_placeholder_takes_the_real_commands_arguments_and_is_refused_by_its_name(string command, string named)
    {
        var root = new RootCommand("test") { new Command("runner") };
        foreach (var placeholder in NativeAotCommands.Placeholders())
        {
            root.Subcommands.Add(placeholder);
        }

        var parse = root.Parse(command);

        Assert.Empty(parse.Errors);
        Assert.Contains($"`{named}`", NativeAotCommands.Refusal(parse, dynamicCodeSupported: false), StringComparison.Ordinal);
    }
}
