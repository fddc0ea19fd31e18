using System.CommandLine;
using System.Runtime.CompilerServices;

namespace QueueExporter.Commands;

/// <summary>
/// What a Native AOT build (<c>scripts/publish.sh --aot</c>) can run: the runner, whose code reads with plain
/// Npgsql and needs no generated code. The worker, <c>enqueue</c>, <c>schema install</c> and the demo still use
/// Dapper (its row readers are emitted at run time) or reflection-based JSON, which would throw at their first
/// query in such a build; refusing them before they start is one clear line instead of a failure per request.
/// A native build does not even compile them in: it registers <see cref="Placeholders"/> instead, which the
/// compiler sees as the only branch taken (<see cref="RuntimeFeature.IsDynamicCodeSupported"/> is a constant
/// false there), so the worker's, the scraper's and the demo's code stay out of the binary and out of its
/// resident pages at rest.
/// </summary>
internal static class NativeAotCommands
{
    private static readonly HashSet<string> Supported = new(StringComparer.Ordinal) { "runner" };

    /// <summary>The top-level commands of the standard build that a native build does not run.</summary>
    internal static readonly string[] Unsupported = ["worker", "scrape", "schema", "enqueue", "demo"];

    /// <summary>
    /// One command per name in <see cref="Unsupported"/>, taking any arguments and doing nothing: it parses, so that
    /// <see cref="Refusal(ParseResult)"/> names it, with or without the real command's options.
    /// </summary>
    public static IEnumerable<Command> Placeholders() =>
        Unsupported.Select(name => new Command(name, "Not available in the Native AOT build (use the standard build).") { TreatUnmatchedTokensAsErrors = false });

    /// <summary>The line to print when this build cannot run <paramref name="parse"/>'s command; null when it can.</summary>
    public static string? Refusal(ParseResult parse) => Refusal(parse, RuntimeFeature.IsDynamicCodeSupported);

    /// <summary>The decision, with the build's nature given (tests run on the JIT).</summary>
    public static string? Refusal(ParseResult parse, bool dynamicCodeSupported)
    {
        if (dynamicCodeSupported)
        {
            return null;
        }

        // The subcommand right under the root: `schema install` is `schema`.
        var result = parse.CommandResult;
        while (result.Parent is System.CommandLine.Parsing.CommandResult parent && parent.Parent is not null)
        {
            result = parent;
        }

        var name = result.Command.Name;
        return result.Parent is null || Supported.Contains(name)
            ? null
            : $"queue-exporter: `{name}` is not available in the Native AOT build (it runs `runner` only); use the standard build for it";
    }
}
