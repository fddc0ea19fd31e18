using QueueExporter.QueueJob.Configuration;
using QueueExporter.QueueJob.Connection;
using Xunit;

namespace QueueExporter.Tests.QueueJob;

public class OdooSettingsTests
{
    private static readonly Dictionary<string, string?> NoEnvironment = [];

    private static readonly OdooConfigFile File = OdooConfigFile.Parse("""
        [options]
        db_host = odoo-db
        db_port = 5433
        db_user = odoo
        db_password = from-options
        db_name = shop, erp ,shop
        dbfilter = ^(shop|erp)$
        db_sslmode = require

        [queue_job]
        channels = root:4
        http_auth_user = jobrunner
        http_auth_password = from-file
        jobrunner_db_host = pg-primary
        jobrunner_db_password = from-queue-job
        """, "odoo.conf");

    [Fact]
    public void The_database_connection_is_odoos_with_each_jobrunner_db_setting_overriding_its_own_part()
    {
        var endpoint = DatabaseEndpoint.Resolve(null, new OdooSettings(NoEnvironment, File));

        // host and password from [queue_job] jobrunner_db_*, port and user from [options] db_*.
        Assert.Equal("odoo@pg-primary:5433", endpoint.Describe());
        Assert.Contains("Password=from-queue-job", endpoint.ToConnectionString("t"), StringComparison.Ordinal);
        Assert.Contains("SSL Mode=Require", endpoint.ToConnectionString("t"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_environment_wins_over_the_file_and_a_url_wins_over_both()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ODOO_QUEUE_JOB_JOBRUNNER_DB_HOST"] = "env-db",
            ["ODOO_QUEUE_JOB_JOBRUNNER_DB_PASSWORD"] = "from-env",
            ["ODOO_QUEUE_JOB_HTTP_AUTH_PASSWORD"] = "env-auth",
            ["ODOO_QUEUE_JOB_CHANNELS"] = " ",
        };
        var settings = new OdooSettings(environment, File);

        Assert.Equal("odoo@env-db:5433", DatabaseEndpoint.Resolve(null, settings).Describe());
        Assert.Contains("Password=from-env", DatabaseEndpoint.Resolve(null, settings).ToConnectionString("t"), StringComparison.Ordinal);
        Assert.Equal("env-auth", settings.HttpAuthPassword);
        Assert.Equal("jobrunner", settings.HttpAuthUser);
        Assert.Equal("root:4", settings.Channels); // a blank variable counts as unset, as in OCA (`or`)

        Assert.Equal("u@flag:5432/x", DatabaseEndpoint.Resolve("postgres://u@flag/x", settings).Describe());
        var withUrl = new OdooSettings(new Dictionary<string, string?> { [DatabaseEndpoint.UrlEnvironmentVariable] = "postgres://e@envurl/y" }, File);
        Assert.Equal("e@envurl:5432/y", DatabaseEndpoint.Resolve(null, withUrl).Describe());
    }

    [Fact]
    public void Db_name_lists_the_databases_and_dbfilter_is_read()
    {
        var settings = new OdooSettings(NoEnvironment, File);

        Assert.Equal(["shop", "erp"], settings.DatabaseNames);
        Assert.Equal("^(shop|erp)$", settings.DatabaseFilter);
        Assert.Empty(new OdooSettings(NoEnvironment).DatabaseNames);
    }

    [Fact]
    public void Without_any_setting_postgresql_defaults_apply()
    {
        var endpoint = DatabaseEndpoint.Resolve(null, new OdooSettings(new Dictionary<string, string?> { ["USER"] = "me" }, OdooConfigFile.Parse("[options]\ndb_host = False\n", "odoo.conf")));

        Assert.Equal("me@localhost:5432", endpoint.Describe());
        Assert.False(endpoint.HasPassword);
    }

    [Theory]
    [InlineData("[options]\ndb_port = five\n", "port")]
    [InlineData("[options]\ndb_sslmode = sometimes\n", "db_sslmode")]
    public void A_bad_value_in_the_file_is_named_without_the_password(string text, string named)
    {
        var file = OdooConfigFile.Parse(text + "db_password = hunter2\n", "odoo.conf");

        var error = Assert.Throws<FormatException>(() => DatabaseEndpoint.Resolve(null, new OdooSettings(NoEnvironment, file)));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }
}
