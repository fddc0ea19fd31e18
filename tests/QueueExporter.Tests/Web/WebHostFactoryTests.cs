using Microsoft.Extensions.Configuration;
using QueueExporter.QueueJob.Web;

namespace QueueExporter.Tests.Web;

public class WebHostFactoryTests
{
    [Fact]
    public async Task The_host_reads_no_configuration_file_and_so_watches_no_directory()
    {
        var builder = WebHostFactory.CreateBuilder();

        Assert.DoesNotContain(builder.Configuration.Sources, source => source is FileConfigurationSource);
        Assert.Equal("false", builder.Configuration["hostBuilder:reloadConfigOnChange"]);

        await using var app = builder.Build();
        var root = Assert.IsAssignableFrom<IConfigurationRoot>(app.Services.GetService(typeof(IConfiguration)));
        Assert.DoesNotContain(root.Providers, provider => provider is FileConfigurationProvider);
    }
}
