using System.Globalization;
using System.Text.RegularExpressions;
using QueueExporter.IntegrationTests.Cli;
using QueueExporter.IntegrationTests.Monitoring;

namespace QueueExporter.IntegrationTests.Install;

/// <summary>
/// deploy/systemd's units checked by the real systemd tools (no init system needed): the unit files
/// parse with no finding, their sandboxing rates well, and the flags their environment files pass
/// are ones the commands take.
/// </summary>
public sealed partial class SystemdUnitTests : IDisposable
{
    private const string InstalledExecutable = "/usr/local/bin/queue-exporter";

    private static readonly string UnitDirectory = Path.Combine(RepositoryPaths.Root, "deploy", "systemd");

    private readonly string _directory = Directory.CreateTempSubdirectory("systemd-units-").FullName;

    public static TheoryData<string> Units => new() { "runner", "worker", "scraper" };

    [Theory]
    [MemberData(nameof(Units))]
    public async Task The_unit_passes_systemd_analyze_verify_with_no_finding(string component)
    {
        // verify checks that ExecStart's executable exists: point it at the one built beside the tests.
        var unit = InstalledCopy(component);

        var result = await ExternalTool.RunAsync("systemd-analyze", ["verify", unit], workingDirectory: _directory);

        Assert.True(result.ExitCode == 0 && result.Output.Length == 0, $"systemd-analyze verify {component}:\n{result.Output}");
    }

    [Theory]
    [MemberData(nameof(Units))]
    public async Task The_unit_is_sandboxed_to_an_exposure_below_two(string component)
    {
        var unit = InstalledCopy(component);

        var result = await ExternalTool.RunAsync("systemd-analyze", ["security", "--offline=true", "--no-pager", unit], workingDirectory: _directory);

        var level = ExposureLevel().Match(result.StandardOutput);
        Assert.True(level.Success, $"no exposure level in:\n{result.Output}");
        Assert.InRange(double.Parse(level.Groups[1].Value, CultureInfo.InvariantCulture), 0.0, 2.0);
        var text = await File.ReadAllTextAsync(unit);
        foreach (var directive in (string[])["DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "CapabilityBoundingSet=\n"])
        {
            Assert.Contains("\n" + directive, text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("runner", "runner", "RUNNER_ARGS")]
    [InlineData("worker", "worker", "WORKER_ARGS")]
    [InlineData("scraper", "scrape", "SCRAPE_ARGS")]
    public async Task The_unit_runs_its_command_with_flags_from_its_environment_file_that_the_command_takes(string component, string command, string variable)
    {
        var unit = await File.ReadAllTextAsync(Path.Combine(UnitDirectory, $"queue-exporter-{component}.service"));
        var environment = await File.ReadAllLinesAsync(Path.Combine(UnitDirectory, $"{component}.env"));

        Assert.Contains($"\nEnvironmentFile=/etc/queue-exporter/{component}.env\n", unit, StringComparison.Ordinal);
        Assert.Contains($"\nExecStart={InstalledExecutable} {command} ${variable}\n", unit, StringComparison.Ordinal);
        var arguments = Assert.Single(environment, l => l.StartsWith(variable + "=", StringComparison.Ordinal))[(variable.Length + 1)..].Trim('"');
        var flags = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(a => a.StartsWith("--", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(flags);
        var (exitCode, help, _) = await QueueExporterCli.RunAsync([command, "--help"]);
        Assert.Equal(0, exitCode);
        Assert.All(flags, flag => Assert.Contains(flag, help, StringComparison.Ordinal));

        // The variables the file sets are ones some command reads (a typo would be silently ignored).
        var variables = environment.Select(l => l.TrimStart('#')).Select(l => VariableName().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value);
        var documented = (await QueueExporterCli.RunAsync([command, "--help"])).Stdout + await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docs", "operations.md"));
        Assert.All(variables, v => Assert.Contains(v, documented, StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string InstalledCopy(string component)
    {
        var executable = Path.Combine(AppContext.BaseDirectory, "queue-exporter");
        Assert.True(File.Exists(executable), $"no apphost at {executable}");
        var text = File.ReadAllText(Path.Combine(UnitDirectory, $"queue-exporter-{component}.service"));
        Assert.Contains(InstalledExecutable + " ", text, StringComparison.Ordinal);
        var path = Path.Combine(_directory, $"queue-exporter-{component}.service");
        File.WriteAllText(path, text.Replace(InstalledExecutable + " ", executable + " ", StringComparison.Ordinal));
        return path;
    }

    [GeneratedRegex(@"Overall exposure level for \S+: (\d+\.\d+)")]
    private static partial Regex ExposureLevel();

    [GeneratedRegex(@"^([A-Z][A-Z0-9_]+)=")]
    private static partial Regex VariableName();
}
