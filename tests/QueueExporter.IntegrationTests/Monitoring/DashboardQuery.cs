namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>One PromQL expression of a generated dashboard: a panel target or a variable's selector.</summary>
internal sealed record DashboardQuery(string Dashboard, string Source, string Expr)
{
    public string Describe() => $"{Dashboard} / {Source}: {Expr}";
}
