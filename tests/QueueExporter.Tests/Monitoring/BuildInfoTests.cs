using Prometheus;
using QueueExporter.Monitoring;
using Xunit;

namespace QueueExporter.Tests.Monitoring;

public class BuildInfoTests
{
    [Theory]
    [InlineData("0.1.0+9f2310e4c9a4c66fa6db4de670568f02d54b3a21", "0.1.0", "9f2310e4c9a4c66fa6db4de670568f02d54b3a21")]
    [InlineData("0.1.0", "0.1.0", "unknown")]
    [InlineData("0.1.0+", "0.1.0", "unknown")]
    [InlineData("", "unknown", "unknown")]
    [InlineData(null, "unknown", "unknown")]
    public void Version_and_revision_are_read_from_the_stamped_informational_version(string? stamped, string version, string revision)
    {
        Assert.Equal((version, revision), BuildInfo.Parse(stamped));
    }

    [Fact]
    public async Task The_family_names_the_component_and_this_build()
    {
        var registry = Metrics.NewCustomRegistry();
        BuildInfo.Register(registry, "worker");

        using var stream = new MemoryStream();
        await registry.CollectAndExportAsTextAsync(stream);
        var text = System.Text.Encoding.UTF8.GetString(stream.ToArray());

        var (version, revision) = BuildInfo.Current;
        Assert.Contains($"queue_exporter_build_info{{component=\"worker\",version=\"{version}\",revision=\"{revision}\"}} 1", text, StringComparison.Ordinal);
        Assert.NotEqual("unknown", version);
    }
}
