namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// Runs the generator in dashboards/ (`npm run build`), which writes the dashboards and the rule
/// files from one configuration, into a directory of the test's choosing.
/// </summary>
internal static class MixinGenerator
{
    private static readonly SemaphoreSlim NpmInstall = new(1, 1);

    /// <summary>Everything the generator writes, as paths relative to the repository root.</summary>
    public static IReadOnlyList<string> CommittedOutputs =>
    [
        .. Directory.GetFiles(RepositoryPaths.GeneratedDashboards, "*.json"),
        .. Directory.GetFiles(RepositoryPaths.Alerts, "*.rules.yml", SearchOption.AllDirectories),
        .. Directory.GetFiles(Path.Combine(RepositoryPaths.Alerts, "kubernetes"), "*.yaml"),
    ];

    public static async Task<ToolResult> GenerateAsync(string outDirectory, string? configFile = null)
    {
        await EnsureNodeModulesAsync();
        string[] config = configFile is null ? [] : ["--config", configFile];
        return await ExternalTool.RunAsync("npm", ["run", "--silent", "build", "--", "--out", outDirectory, .. config], RepositoryPaths.Dashboards);
    }

    public static IReadOnlyList<string> RelativeFiles(string root) =>
        [.. Directory.GetFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal)];

    /// <summary>
    /// scripts/install-prerequisites.sh runs `npm ci` before ./test.sh builds; a test run started
    /// some other way (or after the lock file gained a package) installs the locked packages itself.
    /// </summary>
    private static async Task EnsureNodeModulesAsync()
    {
        await NpmInstall.WaitAsync();
        try
        {
            var modules = Path.Combine(RepositoryPaths.Dashboards, "node_modules");
            if (Directory.Exists(Path.Combine(modules, "@grafana", "grafana-foundation-sdk")) && Directory.Exists(Path.Combine(modules, "yaml")))
            {
                return;
            }

            var install = await ExternalTool.RunAsync("npm", ["ci", "--no-audit", "--no-fund"], RepositoryPaths.Dashboards, TimeSpan.FromMinutes(5));
            Assert.True(install.ExitCode == 0, install.Output);
        }
        finally
        {
            NpmInstall.Release();
        }
    }
}
