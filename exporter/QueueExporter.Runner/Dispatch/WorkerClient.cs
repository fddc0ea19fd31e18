using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace QueueExporter.Runner.Dispatch;

/// <summary>
/// The runjob HTTP call. One pooled client with keep-alive connections (OCA opens a new connection and
/// a thread per job), at most <see cref="MaxConnections"/> of them; the per-call timeout is a
/// cancellation, and running out of it is not a failure.
/// <para>
/// A call waits for a free connection <i>before</i> its timeout starts: a request still waiting for a
/// connection has not reached the worker, and a timeout there would be taken for "the worker is running
/// it" and leave the job enqueued until the dead-job rescue. The handler's own limit is the same number,
/// so it never queues a request itself. Per call nothing is allocated for the timeout: its
/// cancellation source is reused once reset.
/// </para>
/// <para>
/// <see cref="WarmUpAsync"/> opens the first call's TCP connection ahead of it (<see cref="WarmConnection"/>): at
/// start the runner's first dispatch otherwise waits for name resolution and a handshake after its enqueue UPDATE.
/// </para>
/// </summary>
internal sealed class WorkerClient : IDisposable
{
    /// <summary>
    /// Runjob calls (HTTP connections) in flight at once. Channel capacities bound them already, except with
    /// an unlimited root channel: a burst of 20,000 jobs then opened 20,000 sockets and ran out of descriptors.
    /// </summary>
    public const int MaxConnections = 256;

    private readonly HttpClient _client;
    // The runjob URL up to its query, built once: per job only the escaped values are appended.
    private readonly string _runJobBase;
    private readonly TimeSpan _timeout;
    // Never disposed: only its wait handle would need it, and that is never asked for.
    private readonly SemaphoreSlim _connections = new(MaxConnections, MaxConnections);
    private readonly System.Collections.Concurrent.ConcurrentQueue<CancellationTokenSource> _timeouts = new();
    private readonly DnsEndPoint _worker;
    private readonly WarmConnection _warm;

    public WorkerClient(Uri workerUrl, string? user, string? password, TimeSpan timeout, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(workerUrl);
        _worker = new DnsEndPoint(workerUrl.IdnHost, workerUrl.Port);
        _warm = new WarmConnection(time ?? TimeProvider.System);
        _runJobBase = new UriBuilder(workerUrl)
        {
            Path = workerUrl.AbsolutePath.TrimEnd('/') + "/queue_job/runjob",
            Query = string.Empty,
            Fragment = string.Empty,
            UserName = string.Empty,
            Password = string.Empty,
        }.Uri.GetLeftPart(UriPartial.Path);
        _timeout = timeout;
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = timeout,
            MaxConnectionsPerServer = MaxConnections,
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        if (!string.IsNullOrEmpty(user))
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));
            _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", token);
        }
    }

    /// <summary>The runjob URL without its query; safe to log (no credentials in it).</summary>
    public string RunJobBase => _runJobBase;

    /// <summary>The runjob URL with values escaped; safe to log (no credentials in it).</summary>
    public Uri RunJobUrl(string database, string uuid) =>
        new(string.Concat(_runJobBase, "?db=", Uri.EscapeDataString(database), "&job_uuid=", Uri.EscapeDataString(uuid)));

    /// <summary>
    /// Opens a connection to the workers for the next call to find (at most one, once, kept <see cref="WarmConnection.MaxAge"/>).
    /// Never throws; null when it is open, else why not.
    /// </summary>
    public Task<string?> WarmUpAsync(CancellationToken cancellationToken) => _warm.OpenAsync(_worker, _timeout, cancellationToken);

    public async Task<(DispatchOutcome Outcome, Exception? Error)> RunJobAsync(Uri url)
    {
        await _connections.WaitAsync();
        var timeout = _timeouts.TryDequeue(out var reused) ? reused : new CancellationTokenSource();
        try
        {
            timeout.CancelAfter(_timeout);
            using var response = await _client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return response.StatusCode switch
            {
                // A full worker says so at once rather than letting the job wait for the rescue.
                System.Net.HttpStatusCode.ServiceUnavailable => (DispatchOutcome.Refused, null),
                _ when response.IsSuccessStatusCode => (DispatchOutcome.Ok, null),
                _ => (DispatchOutcome.HttpError, null),
            };
        }
        catch (OperationCanceledException)
        {
            return (DispatchOutcome.Timeout, null);
        }
        catch (HttpRequestException ex)
        {
            return (DispatchOutcome.ConnectionError, ex);
        }
        finally
        {
            // TryReset fails once the timer has fired: that source is spent and left to the GC.
            if (timeout.TryReset())
            {
                _timeouts.Enqueue(timeout);
            }
            else
            {
                timeout.Dispose();
            }

            _connections.Release();
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _warm.Dispose();
        while (_timeouts.TryDequeue(out var timeout))
        {
            timeout.Dispose();
        }
    }

    /// <summary>What the handler does to connect (a dual-mode TCP socket, no Nagle delay), first offered the warm connection.</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (_warm.TryTake(context.DnsEndPoint) is { } warm)
        {
            return new NetworkStream(warm, ownsSocket: true);
        }

        var socket = WarmConnection.NewSocket();
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
