using QueueExporter.Commands;
using QueueExporter.QueueJob.Configuration;
using QueueExporter.QueueJob.Connection;
using QueueExporter.Runner;
using QueueExporter.Runner.Channels;
using QueueExporter.Runner.Servers;
using Xunit;

namespace QueueExporter.Tests.Runner;

public class RunnerCommandOptionsTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    [Fact]
    public void Channels_come_from_the_option_then_the_environment_then_root_1()
    {
        var environment = new Dictionary<string, string?> { ["ODOO_QUEUE_JOB_CHANNELS"] = "root:3" };

        Assert.Equal("root:9", RunnerCommand.ResolveChannels("root:9", new OdooSettings(environment)));
        Assert.Equal("root:3", RunnerCommand.ResolveChannels(null, new OdooSettings(environment)));
        Assert.Equal("root:1", RunnerCommand.ResolveChannels(null, new OdooSettings(NoEnvironment)));
    }

    [Fact]
    public void The_worker_url_is_built_from_odoo_environment_variables()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ODOO_QUEUE_JOB_SCHEME"] = "https",
            ["ODOO_QUEUE_JOB_HOST"] = "odoo.internal",
            ["ODOO_QUEUE_JOB_PORT"] = "8443",
        };

        Assert.Equal(new Uri("https://odoo.internal:8443"), RunnerCommand.ResolveWorkerUrl(null, new OdooSettings(environment)));
        Assert.Equal(new Uri("http://127.0.0.1:8069"), RunnerCommand.ResolveWorkerUrl(null, new OdooSettings(NoEnvironment)));
        Assert.Equal(new Uri("http://w:1"), RunnerCommand.ResolveWorkerUrl("http://w:1", new OdooSettings(environment)));
    }

    [Fact]
    public void Each_runner_setting_is_taken_from_the_flag_then_the_environment_then_the_odoo_config_file()
    {
        var file = OdooConfigFile.Parse("""
            [options]
            http_interface = 10.0.0.5
            http_port = 8070

            [queue_job]
            channels = root:2,root.mail:1
            scheme = https
            host = odoo.lan
            """, "odoo.conf");
        var environment = new Dictionary<string, string?> { ["ODOO_QUEUE_JOB_HOST"] = "env.lan" };

        Assert.Equal("root:2,root.mail:1", RunnerCommand.ResolveChannels(null, new OdooSettings(NoEnvironment, file)));
        Assert.Equal("root:5", RunnerCommand.ResolveChannels(null, new OdooSettings(new Dictionary<string, string?> { ["ODOO_QUEUE_JOB_CHANNELS"] = "root:5" }, file)));
        Assert.Equal("root:7", RunnerCommand.ResolveChannels("root:7", new OdooSettings(new Dictionary<string, string?> { ["ODOO_QUEUE_JOB_CHANNELS"] = "root:5" }, file)));

        // Each part on its own, as OCA does: the environment's host, the file's scheme, Odoo's http_port.
        Assert.Equal(new Uri("https://env.lan:8070"), RunnerCommand.ResolveWorkerUrl(null, new OdooSettings(environment, file)));
        Assert.Equal(new Uri("https://odoo.lan:8070"), RunnerCommand.ResolveWorkerUrl(null, new OdooSettings(NoEnvironment, file)));
        Assert.Equal(new Uri("http://flag:1"), RunnerCommand.ResolveWorkerUrl("http://flag:1", new OdooSettings(environment, file)));
    }

    [Fact]
    public void A_bad_port_in_the_environment_is_named()
    {
        var error = Assert.Throws<ArgumentException>(() => RunnerCommand.ResolveWorkerUrl(null, new OdooSettings(new Dictionary<string, string?> { ["ODOO_QUEUE_JOB_PORT"] = "eighty" })));

        Assert.Contains("ODOO_QUEUE_JOB_PORT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_names_the_bad_setting()
    {
        var options = new RunnerOptions { Endpoint = DatabaseEndpoint.Parse("postgres://u@127.0.0.1:5432/db"), HttpTimeout = TimeSpan.Zero };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("HTTP timeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validation_rejects_malformed_channels_with_the_parser_message()
    {
        var options = new RunnerOptions { Endpoint = DatabaseEndpoint.Parse("postgres://u@127.0.0.1:5432/db"), Channels = "root:1,:2" };

        Assert.Throws<ChannelConfigurationException>(options.Validate);
    }

    [Fact]
    public void The_runjob_url_escapes_database_and_uuid_and_keeps_a_base_path()
    {
        using var client = new QueueExporter.Runner.Dispatch.WorkerClient(new Uri("http://user:pw@127.0.0.1:8069/prefix/"), null, null, TimeSpan.FromSeconds(1));

        var url = client.RunJobUrl("my db&x", "abc");

        Assert.Equal("http://127.0.0.1:8069/prefix/queue_job/runjob?db=my%20db%26x&job_uuid=abc", url.AbsoluteUri);
    }

    [Fact]
    public void With_several_servers_one_worker_url_serves_all_or_each_server_has_its_own_in_order()
    {
        var settings = new OdooSettings(NoEnvironment);

        Assert.Equal([new Uri("http://127.0.0.1:8069"), new Uri("http://127.0.0.1:8069")], RunnerCommand.ResolveWorkerUrls([], 2, settings));
        Assert.Equal([new Uri("http://w:1"), new Uri("http://w:1"), new Uri("http://w:1")], RunnerCommand.ResolveWorkerUrls(["http://w:1"], 3, settings));
        Assert.Equal([new Uri("http://a:1"), new Uri("http://b:1")], RunnerCommand.ResolveWorkerUrls(["http://a:1", "http://b:1"], 2, settings));
        var error = Assert.Throws<ArgumentException>(() => RunnerCommand.ResolveWorkerUrls(["http://a:1", "http://b:1"], 3, settings));
        Assert.Contains("--worker-url is given 2 times for 3 --database-url", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_servers_are_named_by_host_and_port_and_the_same_server_twice_is_refused()
    {
        var options = new RunnerOptions
        {
            Endpoint = DatabaseEndpoint.Parse("postgres://runner:secret@pg1.lan:5432/shop"),
            OtherServers = [RunnerServer.For(DatabaseEndpoint.Parse("postgres://runner:secret@pg2.lan:5433"), [], null, new Uri("http://odoo2:8069"))],
        };
        options.Validate();

        Assert.Equal(["pg1.lan:5432", "pg2.lan:5433"], options.Servers.Select(s => s.Name));
        Assert.False(options.Servers[0].Discovers);
        Assert.True(options.Servers[1].Discovers);
        Assert.Equal(new Uri("http://odoo2:8069"), options.Servers[1].WorkerUrl);
        Assert.DoesNotContain(options.Servers, s => s.Name.Contains("secret", StringComparison.Ordinal));

        var twice = options with { OtherServers = [RunnerServer.For(DatabaseEndpoint.Parse("postgres://other@pg1.lan:5432/crm"), [], null, new Uri("http://odoo2:8069"))] };
        var error = Assert.Throws<ArgumentException>(twice.Validate);
        Assert.Contains("server pg1.lan:5432 is given more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_database_is_keyed_by_its_bare_name_on_one_server_and_by_name_at_server_on_several()
    {
        var server = RunnerServer.For(DatabaseEndpoint.Parse("postgres://pg1.lan:5432"), [], null, new Uri("http://odoo:8069"));

        Assert.Equal(new DatabaseAddress("pg1.lan:5432", "shop", "shop"), DatabaseAddress.Of(server, "shop", severalServers: false));
        Assert.Equal(new DatabaseAddress("pg1.lan:5432", "shop", "shop@pg1.lan:5432"), DatabaseAddress.Of(server, "shop", severalServers: true));
    }
}
