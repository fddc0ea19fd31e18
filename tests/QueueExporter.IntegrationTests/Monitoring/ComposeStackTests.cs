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

    [Fact]
    public async Task Published_ports_are_on_loopback_and_none_is_a_port_an_Odoo_host_already_uses()
    {
        // Odoo: 8069 (HTTP), 8072 (longpolling / websocket); its PostgreSQL: 5432.
        int[] odooPorts = [8069, 8072, 5432];
        var published = Services(await ResolvedCompose.Value)
            .SelectMany(s => YamlDocuments.Sequence(s.Definition, "ports").Select(p => (s.Name, Port: Describe(p))))
            .ToList();

        Assert.NotEmpty(published);
        Assert.All(published, p => Assert.StartsWith("127.0.0.1:", p.Port, StringComparison.Ordinal));
        Assert.DoesNotContain(published, p => odooPorts.Any(port => p.Port.StartsWith($"127.0.0.1:{port}:", StringComparison.Ordinal)));
        Assert.Equal(published.Count, published.Select(p => p.Port.Split(':')[1]).Distinct().Count()
            + published.Count(p => p.Name == "prometheus-beside-odoo"));

        // docker-compose config writes a port either as the short string or as a mapping.
        static string Describe(YamlNode port) => port is YamlMappingNode map
            ? $"{YamlDocuments.Scalar(map, "host_ip")}:{YamlDocuments.Scalar(map, "published")}:{YamlDocuments.Scalar(map, "target")}"
            : ((YamlScalarNode)port).Value ?? "";
    }

    [Fact]
    public async Task Every_long_running_service_has_a_healthcheck()
    {
        var missing = Services(await ResolvedCompose.Value)
            .Where(s => s.Name != "schema" && YamlDocuments.Mapping(s.Definition, "healthcheck") is null)
            .Select(s => s.Name)
            .ToList();

        Assert.Empty(missing);
    }

    [Fact]
    public async Task Profile_full_runs_everything_and_beside_odoo_only_the_scraper_and_the_monitoring()
    {
        var services = Services(await ResolvedCompose.Value).ToList();
        string[] InProfile(string profile) => [.. services
            .Where(s => YamlDocuments.Sequence(s.Definition, "profiles").OfType<YamlScalarNode>().Any(p => p.Value == profile))
            .Select(s => s.Name).Order(StringComparer.Ordinal)];

        Assert.Empty(services.Where(s => !YamlDocuments.Sequence(s.Definition, "profiles").Any()).Select(s => $"{s.Name} has no profile"));
        Assert.Equal(["alertmanager", "grafana", "postgres", "prometheus", "runner", "schema", "scraper", "worker"], InProfile("full"));
        Assert.Equal(["alertmanager", "grafana", "prometheus-beside-odoo", "scraper"], InProfile("beside-odoo"));

        // A service may depend only on services of every profile it is in.
        var byName = services.ToDictionary(s => s.Name, s => s.Definition);
        foreach (var (name, definition) in services)
        {
            foreach (var dependency in YamlDocuments.Keys(YamlDocuments.Mapping(definition, "depends_on")))
            {
                foreach (var profile in YamlDocuments.Sequence(definition, "profiles").OfType<YamlScalarNode>().Select(p => p.Value))
                {
                    Assert.True(YamlDocuments.Sequence(byName[dependency], "profiles").OfType<YamlScalarNode>().Any(p => p.Value == profile),
                        $"{name} ({profile}) depends on {dependency}, which that profile does not start");
                }
            }
        }
    }

    [Fact]
    public async Task The_beside_odoo_Prometheus_scrapes_only_the_scraper_and_loads_the_rules_made_for_that_deployment()
    {
        var config = Path.Combine(RepositoryPaths.Root, "deploy", "prometheus", "prometheus.beside-odoo.yml");
        var check = await ExternalTool.RunAsync("promtool", ["check", "config", config]);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains("beside-odoo/queue-exporter.rules.yml", check.Output, StringComparison.Ordinal);

        var jobs = YamlDocuments.Sequence(YamlDocuments.LoadMapping(config), "scrape_configs").OfType<YamlMappingNode>()
            .Select(job => YamlDocuments.Scalar(job, "job_name")).Where(j => j!.StartsWith("queue-exporter-", StringComparison.Ordinal));
        Assert.Equal(["queue-exporter-scraper"], jobs);
        var rules = Directory.GetFiles(Path.Combine(RepositoryPaths.Alerts, "beside-odoo"), "*.rules.yml").SelectMany(PrometheusRuleFiles.Load).ToList();
        Assert.NotEmpty(rules);
        Assert.DoesNotContain(rules, r => r.Expr.Contains("queue_runner_", StringComparison.Ordinal) || r.Expr.Contains("queue_worker_", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Labels.GetValueOrDefault("cause") == "no_runner_session");
    }

    [Fact]
    public void The_root_dockerignore_keeps_host_build_output_and_node_modules_out_of_the_image()
    {
        var patterns = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, ".dockerignore"))
            .Select(line => line.Trim()).Where(line => line.Length > 0 && !line.StartsWith('#')).ToHashSet(StringComparer.Ordinal);

        Assert.Subset(patterns, new HashSet<string>(StringComparer.Ordinal) { "**/bin/", "**/obj/", "**/node_modules/", ".git/" });
        // What the Dockerfile copies must stay in the context.
        Assert.DoesNotContain("exporter/", patterns);
        Assert.DoesNotContain("global.json", patterns);
    }

    [Fact]
    public async Task Every_compose_command_the_docs_give_is_accepted_by_the_installed_docker_compose()
    {
        var commands = File.ReadAllLines(Path.Combine(RepositoryPaths.Root, "docs", "monitoring.md"))
            .Select(line => line.Trim())
            .Where(line => line.StartsWith("docker-compose ", StringComparison.Ordinal) || line.StartsWith("docker compose ", StringComparison.Ordinal))
            .ToList();
        Assert.Contains(commands, c => c.Contains("--profile full", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Contains("--profile beside-odoo", StringComparison.Ordinal));

        foreach (var command in commands)
        {
            // Debian's docker-compose 1.29 has no `docker compose` plugin form.
            Assert.StartsWith("docker-compose ", command, StringComparison.Ordinal);
            var words = command.Split('#')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToList();
            var subcommand = words.FindIndex(w => w is "up" or "down" or "ps" or "logs" or "run");
            Assert.True(subcommand > 0, $"no subcommand in: {command}");
            // Everything before the subcommand (files, profiles), with `config -q` in place of the rest.
            var result = await ExternalTool.RunAsync("docker-compose", [.. words.Take(subcommand), "config", "-q"]);
            Assert.True(result.ExitCode == 0, $"{command}: {result.Output}");
        }
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
