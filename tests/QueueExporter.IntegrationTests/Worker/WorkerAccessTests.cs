using System.Net;
using System.Net.Http.Headers;
using System.Text;
using QueueExporter.QueueJob.Connection;
using QueueExporter.QueueJob.Enqueue;
using QueueExporter.QueueJob.Schema;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Worker;

public class WorkerAccessTests
{
    [Fact]
    public async Task With_basic_auth_configured_only_the_right_credentials_run_a_job()
    {
        await using var bed = await WorkerTestBed.StartAsync(configure: o => { o.HttpAuthUser = "runner"; o.HttpAuthPassword = "s3cret"; });
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "quick" });

        using var anonymous = await bed.RunJobAsync(uuid);
        using var wrong = await SendAsync(bed, uuid, "runner:wrong");
        Assert.Equal(JobStates.Enqueued, (string)(await bed.RowAsync(uuid)).state);
        using var right = await SendAsync(bed, uuid, "runner:s3cret");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(JobStates.Done, (string)(await bed.RowAsync(uuid)).state);
    }

    [Fact]
    public async Task A_database_the_worker_does_not_serve_is_refused_without_connecting()
    {
        await using var bed = await WorkerTestBed.StartAsync();
        var server = await PostgresServer.SharedAsync();
        await using var other = await server.CreateDatabaseAsync();
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "quick" });

        using var response = await bed.RunJobAsync(uuid, database: other.Name);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(JobStates.Enqueued, (string)(await bed.RowAsync(uuid)).state);
    }

    [Fact]
    public async Task Without_a_database_list_the_worker_serves_discovered_queue_job_databases_only()
    {
        var server = await PostgresServer.SharedAsync();
        await using var empty = await server.CreateEmptyDatabaseAsync();
        await using var bed = await WorkerTestBed.StartAsync(configure: o => o.Endpoint = DatabaseEndpoint.Parse($"postgres://{server.AdminEndpoint.Username}@{server.AdminEndpoint.Host}:{server.AdminEndpoint.Port}"));
        var uuid = await bed.EnqueueAsync(new NewJob { ModelName = "queue.demo", MethodName = "quick" });

        using var served = await bed.RunJobAsync(uuid);
        using var refused = await bed.RunJobAsync(uuid, database: empty.Name);

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        Assert.Equal(JobStates.Done, (string)(await bed.RowAsync(uuid)).state);
    }

    [Fact]
    public async Task A_request_without_db_or_job_uuid_is_a_bad_request()
    {
        await using var bed = await WorkerTestBed.StartAsync();

        using var response = await bed.Http.GetAsync(new Uri("/queue_job/runjob?db=x", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private static async Task<HttpResponseMessage> SendAsync(WorkerTestBed bed, string uuid, string credentials)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, bed.Worker.RunJobUri(bed.Database.Name, uuid));
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return await bed.Http.SendAsync(request);
    }
}
