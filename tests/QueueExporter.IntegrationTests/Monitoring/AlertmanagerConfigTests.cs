namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>The example alertmanager.yml: valid for the real amtool, and it routes by severity.</summary>
public sealed class AlertmanagerConfigTests
{
    [Fact]
    public async Task Amtool_accepts_the_configuration()
    {
        var result = await ExternalTool.RunAsync("amtool", ["check-config", RepositoryPaths.AlertmanagerConfig]);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("critical", "queue-oncall-pager")]
    [InlineData("warning", "queue-team-chat")]
    public async Task Alerts_are_routed_by_severity(string severity, string receiver)
    {
        var result = await ExternalTool.RunAsync("amtool",
        [
            "config", "routes", "test", $"--config.file={RepositoryPaths.AlertmanagerConfig}",
            "alertname=QueueJobQueueStuck", $"severity={severity}", "database=odoo", "channel=root",
        ]);

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(receiver, result.StandardOutput.Trim());
    }
}
