using Dapper;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Cli;

public class SchemaAndEnqueueCommandTests
{
    [Fact]
    public async Task Schema_install_twice_then_check_reports_a_complete_16_table()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateEmptyDatabaseAsync();

        var first = await QueueExporterCli.RunAsync(["schema", "install", "--database-url", database.Url]);
        var second = await QueueExporterCli.RunAsync(["schema", "install", "--database-url", database.Url]);
        var check = await QueueExporterCli.RunAsync(["schema", "check", "--database-url", database.Url]);

        Assert.Equal((0, 0), (first.ExitCode, second.ExitCode));
        Assert.Equal(0, check.ExitCode);
        Assert.StartsWith($"{database.Name}: Odoo14To17, states wait_dependencies/pending/enqueued/started/done/cancelled/failed, trigger present, queue_job_lock present", check.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_check_names_what_an_old_12_table_lacks()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(QueueJobShape.Odoo12Old);

        var check = await QueueExporterCli.RunAsync(["schema", "check", "--database-url", database.Url]);

        Assert.Equal(0, check.ExitCode);
        Assert.Contains("Odoo12Old", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("column exc_name is missing", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("table queue_job_lock is missing", check.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_install_monitoring_index_adds_only_the_index_to_an_odoo_table_and_check_reports_it()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync(QueueJobShape.Odoo13);

        var install = await QueueExporterCli.RunAsync(["schema", "install", "--monitoring-index", "--database-url", database.Url]);
        var check = await QueueExporterCli.RunAsync(["schema", "check", "--database-url", database.Url]);

        Assert.Equal(0, install.ExitCode);
        Assert.Contains($"index {SchemaInstaller.MonitoringIndexName} present in database \"{database.Name}\"", install.Stdout, StringComparison.Ordinal);
        Assert.Contains("Odoo13", check.Stdout, StringComparison.Ordinal);
        Assert.Contains("queue_job_lock absent, monitoring index present", check.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_install_monitoring_index_on_a_database_without_queue_job_is_one_line()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateEmptyDatabaseAsync();

        var install = await QueueExporterCli.RunAsync(["schema", "install", "--monitoring-index", "--database-url", database.Url]);

        Assert.Equal(1, install.ExitCode);
        var line = Assert.Single((install.Stdout + install.Stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"database \"{database.Name}\" has no queue_job table", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Schema_print_names_the_optional_index_and_prints_it_on_request()
    {
        var plain = await QueueExporterCli.RunAsync(["schema", "print"]);
        var index = await QueueExporterCli.RunAsync(["schema", "print", "--monitoring-index"]);

        Assert.Equal((0, 0), (plain.ExitCode, index.ExitCode));
        Assert.DoesNotContain("CREATE INDEX CONCURRENTLY", plain.Stdout, StringComparison.Ordinal);
        Assert.Contains("--monitoring-index", plain.Stdout, StringComparison.Ordinal);
        Assert.Contains(SchemaInstaller.MonitoringIndexDdl.Trim(), index.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enqueue_prints_one_uuid_per_job_and_writes_pending_rows()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();

        var result = await QueueExporterCli.RunAsync(["enqueue", "--database-url", database.Url, "--function", "res.partner.send_mail", "--channel", "mail", "--priority", "3", "--eta", "1h", "--args", "[1, 2]", "--count", "7"]);

        Assert.Equal(0, result.ExitCode);
        var uuids = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(7, uuids.Length);
        await using var connection = await database.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(string Model, string Method, string Channel, int Priority, DateTime Eta)>(
            "SELECT model_name, method_name, channel, priority, eta FROM queue_job WHERE uuid = ANY(@uuids) AND state = 'pending'", new { uuids })).ToList();
        Assert.Equal(7, rows.Count);
        Assert.All(rows, r => Assert.Equal(("res.partner", "send_mail", "root.mail", 3), (r.Model, r.Method, r.Channel, r.Priority)));
        Assert.All(rows, r => Assert.InRange(r.Eta, DateTime.UtcNow.AddMinutes(59), DateTime.UtcNow.AddMinutes(61)));
    }

    [Fact]
    public async Task Enqueue_refuses_a_parent_that_is_not_in_the_database_and_adds_nothing()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var unknown = Guid.NewGuid().ToString("D");

        var result = await QueueExporterCli.RunAsync(["enqueue", "--database-url", database.Url, "--function", "res.partner.send_mail", "--depends-on", unknown]);

        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(unknown, line, StringComparison.Ordinal);
        await using var connection = await database.OpenConnectionAsync();
        Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM queue_job"));
    }

    [Fact]
    public async Task Enqueue_accepts_a_parent_that_exists_and_the_child_waits_for_it()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateDatabaseAsync();
        var parent = await QueueExporterCli.RunAsync(["enqueue", "--database-url", database.Url, "--function", "res.partner.send_mail"]);
        var parentUuid = parent.Stdout.Trim();

        var child = await QueueExporterCli.RunAsync(["enqueue", "--database-url", database.Url, "--function", "res.partner.send_mail", "--depends-on", parentUuid]);

        Assert.Equal(0, child.ExitCode);
        await using var connection = await database.OpenConnectionAsync();
        Assert.Equal("wait_dependencies", await connection.ExecuteScalarAsync<string>("SELECT state FROM queue_job WHERE uuid = @uuid", new { uuid = child.Stdout.Trim() }));
    }

    [Fact]
    public async Task A_wrong_password_on_the_command_line_gives_one_line_without_the_password()
    {
        var server = await PostgresServer.SharedAsync();
        if (!server.IsThrowaway)
        {
            return; // Only the throwaway cluster checks this role's password.
        }

        var url = $"postgres://{PostgresServer.PasswordRole}:Wr0ngSecret@{server.AdminEndpoint.Host}:{server.AdminEndpoint.Port}/postgres";

        var result = await QueueExporterCli.RunAsync(["schema", "check", "--database-url", url]);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"postgres: authentication failed for user \"{PostgresServer.PasswordRole}\" at {server.AdminEndpoint.Host}:{server.AdminEndpoint.Port}: wrong password", result.Stdout.Trim());
        Assert.DoesNotContain("Wr0ngSecret", result.Stdout + result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_database_without_queue_job_is_named_by_schema_check()
    {
        var server = await PostgresServer.SharedAsync();
        await using var database = await server.CreateEmptyDatabaseAsync();

        var result = await QueueExporterCli.RunAsync(["schema", "check", "--database-url", database.Url]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"database \"{database.Name}\" has no queue_job table", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_option_of_every_command_is_described_in_help()
    {
        foreach (var command in (string[][])[[], ["schema"], ["schema", "install"], ["schema", "check"], ["schema", "print"], ["enqueue"]])
        {
            var result = await QueueExporterCli.RunAsync([.. command, "--help"]);

            Assert.Equal(0, result.ExitCode);
            var optionLines = result.Stdout.Split('\n').Where(l => l.TrimStart().StartsWith("--", StringComparison.Ordinal)).ToList();
            Assert.All(optionLines, line => Assert.Matches(@"^\s+--\S+.*\S\s{2,}\S", line));
        }
    }
}
