using System.Net;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;

namespace QueueExporter.IntegrationTests.Worker;

/// <summary>The same worker runs jobs of every table generation, writing only the columns each has.</summary>
public class WorkerSchemaShapeTests
{
    [Theory]
    [InlineData(QueueJobShape.Odoo18)]
    [InlineData(QueueJobShape.Odoo14To17)]
    [InlineData(QueueJobShape.Odoo13)]
    [InlineData(QueueJobShape.Odoo12Old)]
    public async Task Handlers_receive_the_stored_arguments_and_the_job_is_done_in_every_generation(QueueJobShape shape)
    {
        await using var bed = await WorkerTestBed.StartAsync(shape, r => r.Register("test.echo.arguments", (job, _) =>
            Task.FromResult<string?>($"{job.Args[0].GetInt32()} {job.Args[1].GetString()} {job.Kwargs.GetProperty("lang").GetString()} retry={job.Retry}")));
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "test.echo", MethodName = "arguments", ArgsJson = "[42, \"x\"]", KwargsJson = "{\"lang\": \"fr_FR\"}" });

        using var response = await bed.RunJobAsync(uuid);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Done, (string)row.state);
        Assert.Equal("42 x fr_FR retry=0", (string)row.result);
        Assert.NotNull(row.date_done);
    }

    [Theory]
    [InlineData(QueueJobShape.Odoo13)]
    [InlineData(QueueJobShape.Odoo12Old)]
    public async Task Failures_are_recorded_in_the_columns_older_generations_have(QueueJobShape shape)
    {
        await using var bed = await WorkerTestBed.StartAsync(shape);
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "fail" });

        using var response = await bed.RunJobAsync(uuid);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        var row = await bed.RowAsync(uuid);
        Assert.Equal(JobStates.Failed, (string)row.state);
        Assert.StartsWith("System.InvalidOperationException: demo failure", (string)row.exc_info, StringComparison.Ordinal);
    }
}
