using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Web;

/// <summary>
/// Debian's real Chromium, headless, driven over the DevTools protocol (a WebSocket, no driver binary):
/// open a page, evaluate JavaScript in it as a person's browser ran it, take a screenshot. The browser
/// runs with a profile folder of its own and is killed on dispose.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _nextId;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Starts Chromium and attaches to its first page.</summary>
    public static async Task<HeadlessChromium> StartAsync()
    {
        var profile = Path.Combine(Path.GetTempPath(), "qe-chromium-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(profile);
        var start = new ProcessStartInfo("chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-dev-shm-usage", "--no-first-run", "--window-size=1100,900",
            "--remote-debugging-port=0", "--remote-allow-origins=*", $"--user-data-dir={profile}", "about:blank",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start chromium");
        // Drained so that a chatty browser never blocks on a full pipe.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var browser = new HeadlessChromium(process, profile);
        try
        {
            await browser.AttachAsync();
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }

        return browser;
    }

    /// <summary>Opens <paramref name="url"/> in the page.</summary>
    public Task NavigateAsync(Uri url) => SendAsync("Page.navigate", new JsonObject { ["url"] = url.ToString() });

    /// <summary>The value of <paramref name="expression"/> evaluated in the page (JSON-serialisable results only).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true });
        if (result?["exceptionDetails"] is { } exception)
        {
            throw new InvalidOperationException($"the page threw: {exception.ToJsonString()}");
        }

        return result?["result"]?["value"];
    }

    /// <summary>A string the page computes (empty when it is null or not yet there).</summary>
    public async Task<string> TextAsync(string expression) => (await EvaluateAsync(expression))?.GetValue<string>() ?? string.Empty;

    /// <summary>Polls <paramref name="expression"/> until it is true; throws naming <paramref name="because"/> at the deadline.</summary>
    public Task WaitUntilAsync(string expression, string because) =>
        Eventually.UntilAsync(async () => (await EvaluateAsync(expression))?.GetValue<bool>() == true, Patience, because);

    /// <summary>A PNG of the page as it is shown now.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        return Convert.FromBase64String(result?["data"]?.GetValue<string>() ?? throw new InvalidOperationException("no screenshot data"));
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a child being reaped; the temp folder is cleaned by the system.
        }
    }

    private async Task AttachAsync()
    {
        // Chromium writes its DevTools port to the profile folder once it listens.
        var portFile = Path.Combine(_profile, "DevToolsActivePort");
        var port = 0;
        await Eventually.UntilAsync(
            () => File.Exists(portFile) && int.TryParse(File.ReadLines(portFile).FirstOrDefault(), out port) && port > 0,
            Patience,
            "chromium writes DevToolsActivePort");
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        string? pageSocket = null;
        await Eventually.UntilAsync(
            async () =>
            {
                var targets = JsonNode.Parse(await http.GetStringAsync(new Uri("/json/list", UriKind.Relative)))!.AsArray();
                pageSocket = targets.FirstOrDefault(t => t?["type"]?.GetValue<string>() == "page")?["webSocketDebuggerUrl"]?.GetValue<string>();
                return pageSocket is not null;
            },
            Patience,
            "chromium lists its page");
        using var connect = new CancellationTokenSource(Patience);
        await _socket.ConnectAsync(new Uri(pageSocket!), connect.Token);
        await SendAsync("Page.enable", new JsonObject());
    }

    private async Task<JsonNode?> SendAsync(string method, JsonObject parameters)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        using var timeout = new CancellationTokenSource(Patience);
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        while (true)
        {
            // Events arrive between answers; the answer is the message with our id.
            var reply = JsonNode.Parse(await ReceiveAsync(timeout.Token));
            if (reply?["id"]?.GetValue<int>() != id)
            {
                continue;
            }

            if (reply["error"] is { } error)
            {
                throw new InvalidOperationException($"{method} failed: {error.ToJsonString()}");
            }

            return reply["result"];
        }
    }

    private async Task<string> ReceiveAsync(CancellationToken cancellationToken)
    {
        const int MaxMessage = 64 * 1024 * 1024;
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        while (true)
        {
            var received = await _socket.ReceiveAsync(chunk, cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException("chromium closed the DevTools connection");
            }

            buffer.Write(chunk, 0, received.Count);
            if (buffer.Length > MaxMessage)
            {
                throw new InvalidOperationException("a DevTools message over 64 MiB");
            }

            if (received.EndOfMessage)
            {
                return Encoding.UTF8.GetString(buffer.ToArray());
            }
        }
    }
}
