namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>What an external tool (promtool, amtool, docker-compose, npm) did.</summary>
internal sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Everything the tool printed, for assertion messages.</summary>
    public string Output => $"{StandardOutput}\n{StandardError}".Trim();
}
