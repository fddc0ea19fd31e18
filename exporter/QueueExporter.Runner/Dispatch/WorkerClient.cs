using System.Net.Http.Headers;
using System.Text;

namespace QueueExporter.Runner.Dispatch;

/// <summary>
/// The runjob HTTP call. One pooled client with keep-alive connections (OCA opens a new connection and
/// a thread per job); the per-call timeout is a cancellation, and running out of it is not a failure.
/// </summary>
internal sealed class WorkerClient : IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _baseUrl;
    private readonly TimeSpan _timeout;

    public WorkerClient(Uri workerUrl, string? user, string? password, TimeSpan timeout)
    {
        _baseUrl = workerUrl;
        _timeout = timeout;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = timeout,
            MaxConnectionsPerServer = int.MaxValue,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(user))
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        }
    }

    /// <summary>The runjob URL with values escaped; safe to log (no credentials in it).</summary>
    public Uri RunJobUrl(string database, string uuid)
    {
        var path = _baseUrl.AbsolutePath.TrimEnd('/') + "/queue_job/runjob";
        var builder = new UriBuilder(_baseUrl)
        {
            Path = path,
            Query = $"db={Uri.EscapeDataString(database)}&job_uuid={Uri.EscapeDataString(uuid)}",
            UserName = string.Empty,
            Password = string.Empty,
        };
        return builder.Uri;
    }

    public async Task<(DispatchOutcome Outcome, Exception? Error)> RunJobAsync(Uri url, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return response.StatusCode switch
            {
                // A full worker says so at once rather than letting the job wait for the rescue.
                System.Net.HttpStatusCode.ServiceUnavailable => (DispatchOutcome.Refused, null),
                _ when response.IsSuccessStatusCode => (DispatchOutcome.Ok, null),
                _ => (DispatchOutcome.HttpError, null),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (DispatchOutcome.Timeout, null);
        }
        catch (HttpRequestException ex)
        {
            return (DispatchOutcome.ConnectionError, ex);
        }
    }

    public void Dispose() => _client.Dispose();
}
