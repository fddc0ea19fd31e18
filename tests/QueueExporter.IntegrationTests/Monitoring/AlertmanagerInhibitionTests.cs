using System.Text.Json;
using QueueExporter.TestSupport;
using YamlDotNet.RepresentationModel;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The inhibitions of the shipped deploy/alertmanager/alertmanager.yml, in the real Alertmanager:
/// alerts are posted with the real `amtool alert add`, and `amtool alert query --inhibited` says
/// which ones Alertmanager suppresses. Each case posts a source, a target it must silence, and a
/// look-alike it must not (another place): the look-alike is checked only once the target shows
/// inhibited, so the inhibitor has seen the source and a "not inhibited" is not merely "not yet".
/// </summary>
public sealed class AlertmanagerInhibitionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    /// <summary>Case name, index of the inhibit rule it exercises, source, silenced target, look-alike.</summary>
    public static TheoryData<string, int, string[], string[], string[]> Cases => new()
    {
        {
            "a stuck channel silences the warnings about that channel only", 0,
            ["alertname=QueueJobQueueStuck", "severity=critical", "cause=no_progress", "database=odoo", "channel=root.mail"],
            ["alertname=QueueJobBacklogGrowing", "severity=warning", "database=odoo", "channel=root.mail"],
            ["alertname=QueueJobBacklogGrowing", "severity=warning", "database=odoo", "channel=root"]
        },
        {
            "no runner for a database silences its stuck channels, not another database's", 1,
            ["alertname=QueueJobRunnerDown", "severity=critical", "cause=no_runner_session", "database=odoo"],
            ["alertname=QueueJobQueueStuck", "severity=critical", "cause=oldest_pending_age", "database=odoo", "channel=root"],
            ["alertname=QueueJobQueueStuck", "severity=critical", "cause=oldest_pending_age", "database=crm", "channel=root"]
        },
        {
            "a runner that cannot serve a database silences that database's enqueued-stuck warning", 1,
            ["alertname=QueueJobRunnerDown", "severity=critical", "cause=database_not_served", "job=queue-exporter-runner", "instance=runner:9101", "database=shop"],
            ["alertname=QueueJobEnqueuedStuck", "severity=warning", "database=shop", "channel=root"],
            ["alertname=QueueJobEnqueuedStuck", "severity=warning", "database=odoo", "channel=root"]
        },
        {
            "a scraper nobody can scrape silences its own scrape alerts, not another scraper's", 2,
            ["alertname=QueueExporterDown", "severity=warning", "job=queue-exporter-scraper", "instance=scraper-a:9103"],
            ["alertname=QueueJobScrapeStale", "severity=warning", "job=queue-exporter-scraper", "instance=scraper-a:9103", "database=odoo"],
            ["alertname=QueueJobScrapeStale", "severity=warning", "job=queue-exporter-scraper", "instance=scraper-b:9103", "database=odoo"]
        },
        {
            "every runner of a job gone silences that job's exporter-down, not the worker's", 3,
            ["alertname=QueueJobRunnerDown", "severity=critical", "cause=heartbeat_absent", "job=queue-exporter-runner"],
            ["alertname=QueueExporterDown", "severity=warning", "job=queue-exporter-runner", "instance=runner:9101"],
            ["alertname=QueueExporterDown", "severity=warning", "job=queue-exporter-worker", "instance=worker:8069"]
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task An_inhibition_silences_its_target_and_not_a_look_alike(string name, int rule, string[] source, string[] target, string[] lookAlike)
    {
        Assert.InRange(rule, 0, InhibitRuleCount() - 1);
        await using var alertmanager = await AlertmanagerTestServer.StartAsync();
        foreach (var alert in (string[][])[source, target, lookAlike])
        {
            await AddAsync(alertmanager, alert);
        }

        await Eventually.UntilAsync(async () => (await InhibitedAsync(alertmanager)).Contains(Key(target)), Timeout,
            $"{name}: the target is inhibited. Alertmanager: {alertmanager.Output}");

        var inhibited = await InhibitedAsync(alertmanager);
        Assert.DoesNotContain(Key(lookAlike), inhibited);
        Assert.DoesNotContain(Key(source), inhibited);
    }

    [Fact]
    public async Task A_runner_wide_outage_and_its_exporter_down_do_not_silence_each_other_in_a_loop()
    {
        // Both directions between QueueExporterDown and QueueJobRunnerDown have a rule; were both
        // to apply, Alertmanager would suppress both and nobody would be told.
        await using var alertmanager = await AlertmanagerTestServer.StartAsync();
        string[] absent = ["alertname=QueueJobRunnerDown", "severity=critical", "cause=heartbeat_absent", "job=queue-exporter-runner"];
        string[] down = ["alertname=QueueExporterDown", "severity=warning", "job=queue-exporter-runner", "instance=runner:9101"];
        await AddAsync(alertmanager, absent);
        await AddAsync(alertmanager, down);

        await Eventually.UntilAsync(async () => (await InhibitedAsync(alertmanager)).Contains(Key(down)), Timeout, "QueueExporterDown is inhibited");

        Assert.DoesNotContain(Key(absent), await InhibitedAsync(alertmanager));
    }

    [Fact]
    public void Every_shipped_inhibit_rule_is_exercised_and_names_equal_labels()
    {
        var covered = Cases.Select(row => (int)row[1]).ToHashSet();
        var rules = YamlDocuments.Sequence(YamlDocuments.LoadMapping(RepositoryPaths.AlertmanagerConfig), "inhibit_rules").OfType<YamlMappingNode>().ToList();

        Assert.Equal(Enumerable.Range(0, rules.Count), covered.Order());
        Assert.All(rules, r => Assert.NotEmpty(YamlDocuments.Sequence(r, "equal")));
    }

    private static int InhibitRuleCount() =>
        YamlDocuments.Sequence(YamlDocuments.LoadMapping(RepositoryPaths.AlertmanagerConfig), "inhibit_rules").Count();

    private static async Task AddAsync(AlertmanagerTestServer alertmanager, string[] labels)
    {
        var result = await ExternalTool.RunAsync("amtool", ["alert", "add", $"--alertmanager.url=http://{alertmanager.HostAndPort}", .. labels]);
        Assert.True(result.ExitCode == 0, result.Output);
    }

    /// <summary>The inhibited alerts, each as its sorted label pairs.</summary>
    private static async Task<IReadOnlySet<string>> InhibitedAsync(AlertmanagerTestServer alertmanager)
    {
        var result = await ExternalTool.RunAsync("amtool", ["alert", "query", "--inhibited", "--output=json", $"--alertmanager.url=http://{alertmanager.HostAndPort}"]);
        Assert.True(result.ExitCode == 0, result.Output);
        using var alerts = JsonDocument.Parse(result.StandardOutput);
        return alerts.RootElement.EnumerateArray()
            .Where(a => a.GetProperty("status").GetProperty("inhibitedBy").GetArrayLength() > 0)
            .Select(a => Key([.. a.GetProperty("labels").EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}")]))
            .ToHashSet(StringComparer.Ordinal);
    }

    private static string Key(string[] labels) => string.Join(',', labels.Order(StringComparer.Ordinal));
}
