namespace QueueExporter.IntegrationTests.Cli;

/// <summary>
/// Tests that build or publish the exporter while they run (<c>demo.sh</c>'s <c>dotnet build</c>,
/// <c>scripts/publish.sh</c>, the native runner a filtered run builds itself). Two such builds at once
/// compile the same projects into the same <c>obj</c> folders and one of them fails; in one collection
/// xunit runs them one after the other, still in parallel with every other test.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BuildsTheExporter
{
    public const string Name = "builds the exporter";
}
