using System.Net;
using QueueExporter.QueueJob.Connection;
using QueueExporter.Worker;
using QueueExporter.Worker.Handlers;

namespace QueueExporter.Tests.Worker;

public class WorkerOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1:8069", "127.0.0.1", 8069)]
    [InlineData("localhost:0", "127.0.0.1", 0)]
    [InlineData("*:9000", "0.0.0.0", 9000)]
    [InlineData("[::1]:8069", "::1", 8069)]
    [InlineData("http://127.0.0.1:8069/", "127.0.0.1", 8069)]
    public void Listen_accepts_host_and_port(string listen, string address, int port) =>
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), WorkerOptions.ParseListen(listen));

    [Theory]
    [InlineData("8069")]
    [InlineData("example.com:8069")]
    [InlineData("127.0.0.1:99999")]
    public void A_bad_listen_value_names_the_setting(string listen) =>
        Assert.StartsWith("worker: Listen", Assert.Throws<ArgumentException>(() => WorkerOptions.ParseListen(listen)).Message, StringComparison.Ordinal);

    [Fact]
    public void An_auth_user_without_a_password_is_refused()
    {
        var options = new WorkerOptions { Endpoint = DatabaseEndpoint.Parse("postgres://u@localhost/db"), HttpAuthUser = "runner" };

        Assert.Contains("HttpAuthPassword", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_function_name_needs_a_model_and_a_method() =>
        Assert.Throws<ArgumentException>(() => new JobHandlerRegistry().Register("send", (_, _) => Task.FromResult<string?>(null)));
}
