using QueueExporter.Worker.Storage;

namespace QueueExporter.Tests.Worker;

public class DependencyGraphTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("", false)]
    [InlineData("{\"depends_on\": [], \"reverse_depends_on\": []}", false)]
    [InlineData("{\"depends_on\": [\"a\"], \"reverse_depends_on\": [\"b\"]}", true)]
    [InlineData("{\"depends_on\": []}", true)]
    [InlineData("not json", true)]
    [InlineData("[1]", true)]
    public void Only_a_graph_that_names_no_dependent_skips_the_release(string? json, bool expected)
    {
        Assert.Equal(expected, DependencyGraph.MayHaveDependents(json));
    }
}
