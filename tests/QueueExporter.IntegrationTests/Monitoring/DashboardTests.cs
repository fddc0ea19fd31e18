using System.Text.Json;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The dashboards are TypeScript (dashboards/src, Grafana Foundation SDK); the JSON Grafana loads
/// is generated and committed. These tests rebuild it and check what every panel must carry.
/// </summary>
public sealed class DashboardTests
{
    private static readonly SemaphoreSlim NpmInstall = new(1, 1);

    [Fact]
    public async Task Generated_dashboards_are_up_to_date_with_their_sources()
    {
        await EnsureNodeModulesAsync();
        var outDir = Directory.CreateTempSubdirectory("queue-exporter-dashboards-");
        try
        {
            var build = await ExternalTool.RunAsync("npm", ["run", "--silent", "build", "--", "--out", outDir.FullName], RepositoryPaths.Dashboards);
            Assert.True(build.ExitCode == 0, build.Output);

            var fresh = Directory.GetFiles(outDir.FullName, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            var committed = RepositoryPaths.GeneratedDashboardFiles.Select(Path.GetFileName).ToList();
            Assert.NotEmpty(fresh);
            Assert.Equal(fresh, committed);
            foreach (var file in fresh)
            {
                var stale = File.ReadAllText(Path.Combine(RepositoryPaths.GeneratedDashboards, file!));
                var current = File.ReadAllText(Path.Combine(outDir.FullName, file!));
                Assert.True(stale == current, $"dashboards/generated/{file} is stale: run `npm run build` in dashboards/ and commit the result");
            }
        }
        finally
        {
            outDir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Every_panel_has_a_title_a_description_a_unit_and_reads_the_chosen_datasource()
    {
        var problems = new List<string>();
        var panels = 0;
        foreach (var file in RepositoryPaths.GeneratedDashboardFiles)
        {
            using var dashboard = GeneratedDashboards.Load(file);
            foreach (var panel in GeneratedDashboards.Panels(dashboard.RootElement))
            {
                panels++;
                var where = $"{Path.GetFileName(file)} / '{GeneratedDashboards.Title(panel)}'";
                if (string.IsNullOrWhiteSpace(GeneratedDashboards.Title(panel)))
                {
                    problems.Add($"{where}: no title");
                }

                if (!panel.TryGetProperty("description", out var description) || string.IsNullOrWhiteSpace(description.GetString()))
                {
                    problems.Add($"{where}: no description");
                }

                if (!panel.TryGetProperty("fieldConfig", out var fieldConfig)
                    || !fieldConfig.GetProperty("defaults").TryGetProperty("unit", out var unit)
                    || string.IsNullOrWhiteSpace(unit.GetString()))
                {
                    problems.Add($"{where}: no unit");
                }

                if (DatasourceUid(panel) != "${datasource}")
                {
                    problems.Add($"{where}: panel datasource is not the datasource variable");
                }

                if (!panel.TryGetProperty("targets", out var targets) || targets.GetArrayLength() == 0)
                {
                    problems.Add($"{where}: no query");
                }
                else if (targets.EnumerateArray().Any(t => DatasourceUid(t) != "${datasource}"))
                {
                    problems.Add($"{where}: a query does not use the datasource variable");
                }
            }
        }

        Assert.True(panels >= 20, $"expected the two dashboards' panels, found {panels}");
        Assert.Empty(problems);
    }

    [Fact]
    public void Every_dashboard_offers_datasource_database_and_channel_variables()
    {
        Assert.Equal(["queue-exporter-overview.json", "queue-exporter-runner.json"],
            RepositoryPaths.GeneratedDashboardFiles.Select(Path.GetFileName));
        foreach (var file in RepositoryPaths.GeneratedDashboardFiles)
        {
            using var dashboard = GeneratedDashboards.Load(file);
            var variables = GeneratedDashboards.Variables(dashboard.RootElement)
                .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("type").GetString());

            Assert.Equal("datasource", variables.GetValueOrDefault("datasource"));
            Assert.Equal("query", variables.GetValueOrDefault("database"));
            Assert.Equal("query", variables.GetValueOrDefault("channel"));
            Assert.Equal(Path.GetFileNameWithoutExtension(file), dashboard.RootElement.GetProperty("uid").GetString());
        }
    }

    private static string? DatasourceUid(JsonElement element) =>
        element.TryGetProperty("datasource", out var datasource) && datasource.TryGetProperty("uid", out var uid)
            ? uid.GetString()
            : null;

    /// <summary>
    /// scripts/install-prerequisites.sh runs `npm ci` before ./test.sh builds; a test run started
    /// some other way installs the locked packages itself.
    /// </summary>
    private static async Task EnsureNodeModulesAsync()
    {
        await NpmInstall.WaitAsync();
        try
        {
            if (Directory.Exists(Path.Combine(RepositoryPaths.Dashboards, "node_modules", "@grafana", "grafana-foundation-sdk")))
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
