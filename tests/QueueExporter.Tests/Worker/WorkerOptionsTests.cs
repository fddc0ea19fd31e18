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

    [Theory]
    [InlineData(1, 2, 10, null)]
    [InlineData(0.25, 0.5, 2, null)]
    [InlineData(8, 2, 10, "must stay below DeadJobGrace")]
    [InlineData(1, 1, 2, "must stay below DeadJobGrace")]
    [InlineData(0, 1, 10, "must be positive")]
    public void The_lock_check_must_react_within_the_dead_job_grace(double interval, double timeout, double grace, string? error)
    {
        var options = new WorkerOptions
        {
            Endpoint = DatabaseEndpoint.Parse("postgres://u@localhost/db"),
            LockCheckInterval = TimeSpan.FromSeconds(interval),
            LockCheckTimeout = TimeSpan.FromSeconds(timeout),
            DeadJobGrace = TimeSpan.FromSeconds(grace),
        };

        if (error is null)
        {
            options.Validate();
        }
        else
        {
            var message = Assert.Throws<ArgumentException>(options.Validate).Message;
            Assert.Contains(error, message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', message);
        }
    }

    [Fact]
    public void A_pool_smaller_than_the_concurrency_bound_is_refused()
    {
        var options = new WorkerOptions { Endpoint = DatabaseEndpoint.Parse("postgres://u@localhost/db"), MaxConcurrentJobs = 50, PoolSize = 40 };

        Assert.Contains("PoolSize (40) must be at least MaxConcurrentJobs (50)", Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_function_name_needs_a_model_and_a_method() =>
        Assert.Throws<ArgumentException>(() => new JobHandlerRegistry().Register("send", (_, _) => Task.FromResult<string?>(null)));
}
