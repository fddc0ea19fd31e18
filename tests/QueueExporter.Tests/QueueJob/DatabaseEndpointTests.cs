using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Tests.QueueJob;

public class DatabaseEndpointTests
{
    [Fact]
    public void A_libpq_url_gives_host_port_user_and_database()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://odoo:pw@db.example:6543/prod");

        Assert.Equal("db.example", endpoint.Host);
        Assert.Equal(6543, endpoint.Port);
        Assert.Equal("odoo", endpoint.Username);
        Assert.Equal("prod", endpoint.Database);
        Assert.True(endpoint.HasPassword);
    }

    [Fact]
    public void Percent_encoded_credentials_are_decoded()
    {
        var endpoint = DatabaseEndpoint.Parse("postgresql://us%40er:p%3Aw%2Fd@localhost/db");

        Assert.Equal("us@er", endpoint.Username);
        Assert.Equal("p:w/d", new Npgsql.NpgsqlConnectionStringBuilder(endpoint.ToConnectionString("t")).Password);
    }

    [Fact]
    public void A_url_without_database_leaves_it_to_discovery_and_defaults_the_port()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://odoo@localhost");

        Assert.Null(endpoint.Database);
        Assert.Equal(5432, endpoint.Port);
    }

    [Fact]
    public void An_npgsql_connection_string_is_accepted()
    {
        var endpoint = DatabaseEndpoint.Parse("Host=h1;Port=5555;Username=u;Password=p;Database=d");

        Assert.Equal(("h1", 5555, "u", "d"), (endpoint.Host, endpoint.Port, endpoint.Username!, endpoint.Database!));
    }

    [Fact]
    public void Describe_never_shows_the_password()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://odoo:topsecret@db:5432/prod");

        Assert.Equal("odoo@db:5432/prod", endpoint.Describe());
        Assert.DoesNotContain("topsecret", endpoint.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres://u:topsecret@h/db?sslmod=require", "unsupported parameter 'sslmod'")]
    [InlineData("postgres://u:topsecret@h/db?sslmode=sometimes", "unknown sslmode")]
    [InlineData("Host=h;Password=topsecret;Bogus Key=1", "neither a postgres:// URL nor a valid connection string")]
    public void A_bad_url_fails_with_one_line_without_the_password(string url, string expected)
    {
        var error = Assert.Throws<FormatException>(() => DatabaseEndpoint.Parse(url));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("topsecret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Odoo_runner_variables_are_honoured_when_no_url_is_given()
    {
        var environment = new Dictionary<string, string?>
        {
            ["ODOO_QUEUE_JOB_JOBRUNNER_DB_HOST"] = "pg.internal",
            ["ODOO_QUEUE_JOB_JOBRUNNER_DB_PORT"] = "5433",
            ["ODOO_QUEUE_JOB_JOBRUNNER_DB_USER"] = "odoo",
            ["ODOO_QUEUE_JOB_JOBRUNNER_DB_PASSWORD"] = "pw",
        };

        var endpoint = DatabaseEndpoint.Resolve(null, environment);

        Assert.Equal("odoo@pg.internal:5433", endpoint.Describe());
        Assert.True(endpoint.HasPassword);
    }

    [Fact]
    public void An_explicit_url_wins_over_the_environment()
    {
        var environment = new Dictionary<string, string?>
        {
            [DatabaseEndpoint.UrlEnvironmentVariable] = "postgres://env@envhost/envdb",
            ["ODOO_QUEUE_JOB_JOBRUNNER_DB_HOST"] = "odoohost",
        };

        Assert.Equal("flag@flaghost:5432/flagdb", DatabaseEndpoint.Resolve("postgres://flag@flaghost/flagdb", environment).Describe());
        Assert.Equal("env@envhost:5432/envdb", DatabaseEndpoint.Resolve(null, environment).Describe());
    }

    [Fact]
    public void A_non_numeric_odoo_port_is_named_in_the_error()
    {
        var environment = new Dictionary<string, string?> { ["ODOO_QUEUE_JOB_JOBRUNNER_DB_PORT"] = "five" };

        var error = Assert.Throws<FormatException>(() => DatabaseEndpoint.Resolve(null, environment));

        Assert.Contains("ODOO_QUEUE_JOB_JOBRUNNER_DB_PORT", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithDatabase_keeps_the_server_and_changes_the_database()
    {
        var endpoint = DatabaseEndpoint.Parse("postgres://u@h:1234/a").WithDatabase("b");

        Assert.Equal("u@h:1234/b", endpoint.Describe());
    }
}
