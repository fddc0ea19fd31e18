using Xunit.Abstractions;

namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Where a scenario's numbers go: the test output, and when <c>QUEUE_EXPORTER_FAULTS_REPORT</c> names a
/// file, that file too (docs/reliability.md quotes one full run).
/// </summary>
public sealed class FaultReport(ITestOutputHelper output, string scenario, FaultSettings settings)
{
    private static readonly Lock FileGate = new();

    public void Line(string text)
    {
        var line = $"[{scenario}] {text}";
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable(FaultSettings.ReportVariable) is { Length: > 0 } path)
        {
            lock (FileGate)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }
    }

    public void Start() => Line($"{(settings.Full ? "full" : "smoke")} mode, seed {settings.Seed}");
}
