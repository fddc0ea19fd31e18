using System.Net;
using QueueExporter.QueueJob.Options;

namespace QueueExporter.Tests.QueueJob;

public class ListenAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:9731", "127.0.0.1", 9731)]
    [InlineData("localhost:9731", "127.0.0.1", 9731)]
    [InlineData("*:9732", "0.0.0.0", 9732)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    [InlineData("[::1]:8069", "::1", 8069)]
    [InlineData("http://127.0.0.1:9731", "127.0.0.1", 9731)]
    [InlineData("http://127.0.0.1:9731/", "127.0.0.1", 9731)]
    public void A_host_and_port_or_an_http_url_is_read_as_an_endpoint(string text, string address, int port)
    {
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), ListenAddress.Parse(text));
    }

    [Theory]
    [InlineData("notaport")]
    [InlineData("")]
    [InlineData(":9731")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:65536")]
    [InlineData("127.0.0.1:-1")]
    [InlineData("127.0.0.1:http")]
    [InlineData("example.com:9731")]
    [InlineData("127.1:9731")]
    [InlineData("::1:9731")]
    [InlineData("https://127.0.0.1:9731")]
    [InlineData("http://127.0.0.1:9731/metrics")]
    public void Anything_else_is_refused_with_one_line_naming_the_option(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => ListenAddress.Parse(text));

        Assert.StartsWith("--listen: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
