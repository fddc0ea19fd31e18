using System.Diagnostics;

namespace QueueExporter.IntegrationTests.Cli;

/// <summary>
/// The native runner as it ships (<c>scripts/publish.sh --aot</c>'s archive, unpacked), for the tests that run the
/// runner process both ways. test.sh builds it once before the tests and names it in
/// <c>QUEUE_EXPORTER_NATIVE_RUNNER</c>; a bare <c>dotnet test</c> that reaches such a test builds it here, once per
/// test run (a few minutes: Native AOT compiles the whole program).
/// </summary>
public static class NativeRunner
{
    public const string Variable = "QUEUE_EXPORTER_NATIVE_RUNNER";

    private static readonly Lazy<Task<string>> Binary = new(FindOrPublishAsync);

    /// <summary>The path of the native executable; throws with the publish script's own output when it cannot be built.</summary>
    public static Task<string> PathAsync() => Binary.Value;

    private static async Task<string> FindOrPublishAsync()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } given)
        {
            return File.Exists(given) ? given : throw new FileNotFoundException($"{Variable} names {given}, which does not exist");
        }

        var root = RepositoryRoot();
        // Where test.sh puts it too (ignored by git): each build replaces the last, nothing piles up in /tmp.
        var output = Path.Combine(root, ".artifacts", "native-runner");
        var publish = new ProcessStartInfo("bash", [Path.Combine(root, "scripts", "publish.sh"), "--aot", "--output", output])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(publish) ?? throw new InvalidOperationException("could not run scripts/publish.sh");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(15));
        await process.WaitForExitAsync(deadline.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"scripts/publish.sh --aot failed ({process.ExitCode}): {await stdout}{await stderr}");
        }

        var archive = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(l => l.EndsWith(".tar.gz", StringComparison.Ordinal));
        using (var untar = Process.Start("tar", ["-C", output, "-xzf", archive]) ?? throw new InvalidOperationException("could not run tar"))
        {
            await untar.WaitForExitAsync(deadline.Token);
        }

        var name = Path.GetFileName(archive)[..^".tar.gz".Length];
        return Path.Combine(output, name, "bin", "queue-exporter");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "QueueExporter.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("no QueueExporter.sln above " + AppContext.BaseDirectory + ": cannot build the native runner");
    }
}
