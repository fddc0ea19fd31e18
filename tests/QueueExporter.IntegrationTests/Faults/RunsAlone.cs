namespace QueueExporter.IntegrationTests.Faults;

/// <summary>
/// Tests that load the whole machine (several runner processes, dozens of databases, job streams into
/// each): xunit runs this collection after every parallel one, alone, so that they neither starve
/// other tests' processes nor have their own bounds (a takeover within 30 s) eaten by other tests' load.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "runs alone";
}
