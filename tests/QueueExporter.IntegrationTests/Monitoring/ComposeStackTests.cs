using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// docker-compose.monitoring.yml cannot run here (no Docker engine): it is checked as far as the
/// real docker-compose goes, then for what `config` does not check (mounted files exist, named
/// services exist) and for being in step with deploy/ (scrape targets, Grafana provisioning).
/// The checks read `docker-compose config`'s output: anchors merged, paths made absolute.
/// </summary>
public sealed partial class ComposeStackTests
{
    private static readonly Lazy<Task<YamlMappingNode>> ResolvedCompose = new(LoadResolvedComposeAsync);

    [Fact]
    public async Task Docker_compose_accepts_the_stack()
    {
        var result = await ExternalTool.RunAsync("docker-compose", ["-f", RepositoryPaths.ComposeFile, "config", "--quiet"]);

        Assert.True(result.ExitCode == 0, result.Output);
    }

    [Fact]
    public async Task The_stack_has_every_part_of_the_monitoring_pipeline()
    {
        var services = YamlDocuments.Keys(YamlDocuments.Mapping(await ResolvedCompose.Value, "services")).ToHashSet();

        Assert.Subset(services, new HashSet<string> { "postgres", "runner", "worker", "scraper", "prometheus", "alertmanager", "grafana" });
    }

    [Fact]
    public async Task Every_file_the_stack_mounts_or_builds_from_exists()
    {
        var compose = await ResolvedCompose.Value;
        var namedVolumes = YamlDocuments.Keys(YamlDocuments.Mapping(compose, "volumes")).ToHashSet();
        var bindMounts = 0;
        var problems = new List<string>();
        foreach (var (service, definition) in Services(compose))
        {
            foreach (var volume in YamlDocuments.Sequence(definition, "volumes").OfType<YamlScalarNode>())
            {
                var source = (volume.Value ?? "").Split(':')[0];
                if (source.StartsWith('/'))
                {
                    bindMounts++;
                    if (!File.Exists(source) && !Directory.Exists(source))
                    {
                        problems.Add($"{service} mounts {source}, which does not exist");
                    }
                }
                else if (!namedVolumes.Contains(source))
                {
                    problems.Add($"{service} uses volume {source}, which the file does not declare");
                }
            }

            if (YamlDocuments.Mapping(definition, "build") is { } build)
            {
                var context = YamlDocuments.Scalar(build, "context") ?? RepositoryPaths.Root;
                var dockerfile = Path.Combine(context, YamlDocuments.Scalar(build, "dockerfile") ?? "Dockerfile");
                if (!File.Exists(dockerfile))
                {
                    problems.Add($"{service} builds from {dockerfile}, which does not exist");
                }
            }
        }

        Assert.Empty(problems);
        Assert.True(bindMounts >= 5, $"expected the configuration, rules and dashboards to be mounted; found {bindMounts} bind mounts");
    }

    [Fact]
    public async Task Every_service_the_stack_depends_on_is_defined()
    {
        var compose = await ResolvedCompose.Value;
        var services = Services(compose).ToDictionary(s => s.Name, s => s.Definition);
        var dependencies = services
            .SelectMany(s => YamlDocuments.Keys(YamlDocuments.Mapping(s.Value, "depends_on")).Select(d => (Service: s.Key, Dependency: d)))
            .ToList();

        Assert.NotEmpty(dependencies);
        Assert.Empty(dependencies.Where(d => !services.ContainsKey(d.Dependency)).Select(d => $"{d.Service} depends on undefined {d.Dependency}"));
    }

    [Fact]
    public async Task Prometheus_scrapes_each_exporter_of_the_stack_on_the_port_it_listens_on()
    {
        var services = Services(await ResolvedCompose.Value).ToDictionary(s => s.Name, s => s.Definition);
        var prometheus = YamlDocuments.LoadMapping(RepositoryPaths.PrometheusConfig);
        var targets = YamlDocuments.Sequence(prometheus, "scrape_configs").OfType<YamlMappingNode>()
            .SelectMany(job => YamlDocuments.Sequence(job, "static_configs").OfType<YamlMappingNode>())
            .SelectMany(config => YamlDocuments.Sequence(config, "targets").OfType<YamlScalarNode>())
            .Select(target => target.Value ?? "")
            .Where(target => !target.StartsWith("localhost:", StringComparison.Ordinal))
            .ToList();

        foreach (var exporter in (string[])["runner", "worker", "scraper"])
        {
            var target = Assert.Single(targets, t => t.StartsWith($"{exporter}:", StringComparison.Ordinal));
            var command = string.Join(' ', YamlDocuments.Sequence(services[exporter], "command").OfType<YamlScalarNode>().Select(n => n.Value));
            var listen = ListenPort().Match(command);
            Assert.True(listen.Success, $"{exporter} has no --listen in its command: {command}");
            Assert.Equal($"{exporter}:{listen.Groups["port"].Value}", target);
        }

        var alertmanagerTargets = YamlDocuments.Sequence(YamlDocuments.Mapping(prometheus, "alerting")!, "alertmanagers").OfType<YamlMappingNode>()
            .SelectMany(am => YamlDocuments.Sequence(am, "static_configs").OfType<YamlMappingNode>())
            .SelectMany(config => YamlDocuments.Sequence(config, "targets").OfType<YamlScalarNode>())
            .Select(target => (target.Value ?? "").Split(':')[0]);
        Assert.All(alertmanagerTargets, host => Assert.True(services.ContainsKey(host), $"Prometheus alerts {host}, no such service"));
    }

    [Fact]
    public async Task Grafana_provisions_the_generated_dashboards_from_where_the_stack_mounts_them()
    {
        var grafana = Services(await ResolvedCompose.Value).Single(s => s.Name == "grafana").Definition;
        var provider = YamlDocuments.Sequence(YamlDocuments.LoadMapping(RepositoryPaths.GrafanaDashboardProvider), "providers").OfType<YamlMappingNode>().Single();
        var providerPath = YamlDocuments.Scalar(YamlDocuments.Mapping(provider, "options")!, "path");

        var mounts = YamlDocuments.Sequence(grafana, "volumes").OfType<YamlScalarNode>().Select(v => (v.Value ?? "").Split(':')).ToList();
        var dashboardsMount = Assert.Single(mounts, m => m[0] == RepositoryPaths.GeneratedDashboards);
        Assert.Equal(providerPath, dashboardsMount[1]);
    }

    private static IEnumerable<(string Name, YamlMappingNode Definition)> Services(YamlMappingNode compose) =>
        YamlDocuments.Mapping(compose, "services")!.Children
            .Select(entry => (((YamlScalarNode)entry.Key).Value ?? "", (YamlMappingNode)entry.Value));

    private static async Task<YamlMappingNode> LoadResolvedComposeAsync()
    {
        var result = await ExternalTool.RunAsync("docker-compose", ["-f", RepositoryPaths.ComposeFile, "config"]);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"docker-compose config failed: {result.Output}");
        }

        var stream = new YamlStream();
        stream.Load(new StringReader(result.StandardOutput));
        return (YamlMappingNode)stream.Documents[0].RootNode;
    }

    [GeneratedRegex(@"--listen[= ](?:[^ :]*):(?<port>[0-9]+)")]
    private static partial Regex ListenPort();
}
