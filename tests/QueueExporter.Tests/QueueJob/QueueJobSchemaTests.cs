using QueueExporter.QueueJob.Schema;

namespace QueueExporter.Tests.QueueJob;

public class QueueJobSchemaTests
{
    private static Dictionary<string, string> Columns(params string[] names) =>
        names.ToDictionary(n => n, n => n is "args" or "kwargs" or "records" ? "text" : "varchar", StringComparer.Ordinal);

    [Fact]
    public void A_table_with_record_ids_and_no_exception_columns_is_early_12()
    {
        var schema = new QueueJobSchema("db", Columns("uuid", "state", "record_ids", "args"), true, false);

        Assert.Equal(QueueJobShape.Odoo12Old, schema.Shape);
        Assert.Equal(JobStates.Classic, schema.States);
        Assert.Contains(schema.Unavailable, line => line.StartsWith("column exc_name is missing", StringComparison.Ordinal));
    }

    [Fact]
    public void A_table_with_jsonb_arguments_is_18()
    {
        var columns = Columns("uuid", "state", "records", "args", "kwargs", "graph_uuid", "dependencies");
        columns["args"] = "jsonb";

        var schema = new QueueJobSchema("db", columns, true, true);

        Assert.Equal(QueueJobShape.Odoo18, schema.Shape);
        Assert.True(schema.ArgumentsAreJsonb);
        Assert.Equal(JobStates.All, schema.States);
    }

    [Fact]
    public void Missing_trigger_and_lock_table_are_named_with_their_consequence()
    {
        var schema = new QueueJobSchema("db", Columns("uuid", "state", "records"), false, false);

        Assert.Contains(schema.Unavailable, line => line.Contains("queue_job_notify is missing", StringComparison.Ordinal));
        Assert.Contains(schema.Unavailable, line => line.Contains("queue_job_lock is missing", StringComparison.Ordinal));
    }

    [Fact]
    public void A_table_without_uuid_is_unknown()
    {
        Assert.Equal(QueueJobShape.Unknown, new QueueJobSchema("db", Columns("id", "state"), false, false).Shape);
    }
}
