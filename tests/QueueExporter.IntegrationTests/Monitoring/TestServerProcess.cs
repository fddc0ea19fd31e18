using System.Diagnostics;
using QueueExporter.TestSupport;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// A real server binary (prometheus, prometheus-alertmanager) started on a loopback port for one
/// test, with its own temporary directory; ready once its readiness URL answers 200. Disposing
/// kills it and removes the directory. Its output is kept for failure messages.
/// </summary>
internal sealed class TestServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private TestServerProcess(Process process, DirectoryInfo workDirectory, Uri baseUri)
    {
        _process = process;
        WorkDirectory = workDirectory;
        BaseUri = baseUri;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public DirectoryInfo WorkDirectory { get; }

    public Uri BaseUri { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> with the arguments <paramref name="arguments"/> builds from
    /// the work directory and port, then waits until GET <paramref name="readyPath"/> answers 200.
    /// </summary>
    public static async Task<TestServerProcess> StartAsync(
        string fileName, string name, Func<DirectoryInfo, int, IEnumerable<string>> arguments, string readyPath,
        Action<DirectoryInfo>? prepare = null)
    {
        var workDirectory = Directory.CreateTempSubdirectory($"queue-exporter-{name}-");
        prepare?.Invoke(workDirectory);
        var port = LoopbackPort.Free();
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workDirectory.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments(workDirectory, port))
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {fileName}");
        var server = new TestServerProcess(process, workDirectory, new Uri($"http://127.0.0.1:{port}/"));
        try
        {
            using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(2) };
            await Eventually.UntilAsync(async () =>
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"{name} exited with {process.ExitCode}: {server.Output}");
                }

                try
                {
                    using var response = await http.GetAsync(new Uri(readyPath, UriKind.Relative));
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
                catch (TaskCanceledException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), $"{name} ready at {server.BaseUri}{readyPath}");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            WorkDirectory.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a dying child: the temp directory is cleaned by the system.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
