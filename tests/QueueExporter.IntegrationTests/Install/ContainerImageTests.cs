using System.Text.RegularExpressions;
using System.Xml.Linq;
using QueueExporter.Commands;
using QueueExporter.IntegrationTests.Monitoring;
using QueueExporter.QueueJob.Options;
using QueueExporter.Scraper;
using QueueExporter.Worker;

namespace QueueExporter.IntegrationTests.Install;

/// <summary>
/// exporter/Dockerfile cannot be built here (no Docker engine). What decides whether it builds from a
/// clean checkout is checked without one: its COPY sources are tracked files the context keeps, the
/// restore stage gets every project it needs, and that stage, replayed on a copy of exactly what it
/// copies, restores with the real dotnet.
/// </summary>
public sealed partial class ContainerImageTests : IDisposable
{
    private static readonly string Dockerfile = Path.Combine(RepositoryPaths.Root, "exporter", "Dockerfile");

    private readonly string _directory = Directory.CreateTempSubdirectory("image-context-").FullName;

    [Fact]
    public async Task Every_file_the_build_copies_is_tracked_and_kept_by_the_context()
    {
        var tracked = await TrackedFilesAsync();
        var ignored = IgnorePatterns();
        var copies = BuildStageCopies().ToList();

        Assert.NotEmpty(copies);
        foreach (var source in copies.SelectMany(c => c.Sources))
        {
            var isDirectory = source.EndsWith('/');
            Assert.True(
                isDirectory ? tracked.Any(f => f.StartsWith(source, StringComparison.Ordinal)) : tracked.Contains(source),
                $"COPY {source}: not in a clean checkout");
            Assert.DoesNotContain(ignored, pattern => source.StartsWith(pattern, StringComparison.Ordinal));
        }

        // Host build output would bring project.assets.json with host paths into the image's restore.
        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
        Assert.Contains(".git/", ignored);
    }

    [Fact]
    public void The_restore_stage_copies_the_build_settings_and_every_project_the_executable_references()
    {
        var beforeRestore = BuildStageCopies().TakeWhile(c => !c.IsRestore).SelectMany(c => c.Sources).ToHashSet(StringComparer.Ordinal);
        var needed = ProjectClosure("exporter/QueueExporter/QueueExporter.csproj")
            .Concat(["global.json", "Directory.Build.props", "Directory.Packages.props"]);

        Assert.All(needed, file => Assert.Contains(file, beforeRestore));
    }

    [Fact]
    public async Task The_restore_stage_replayed_on_exactly_what_it_copies_restores()
    {
        // The stage as docker would run it: only the files its COPY lines name, as a clean checkout has them.
        var tracked = await TrackedFilesAsync();
        var stage = BuildStageCopies().TakeWhile(c => !c.IsRestore).ToList();
        foreach (var copy in stage)
        {
            foreach (var source in copy.Sources)
            {
                var target = copy.Destination.EndsWith('/') ? Path.Combine(_directory, copy.Destination.TrimStart('.', '/'), Path.GetFileName(source)) : Path.Combine(_directory, copy.Destination);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                Assert.Contains(source, tracked);
                File.Copy(Path.Combine(RepositoryPaths.Root, source), target);
            }
        }

        var restore = RestoreArguments();
        var result = await ExternalTool.RunAsync("dotnet", restore, workingDirectory: _directory, timeout: TimeSpan.FromMinutes(10));

        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', restore)}:\n{result.Output}");
    }

    [Fact]
    public void The_image_exposes_the_default_port_of_each_command()
    {
        var exposed = File.ReadLines(Dockerfile).Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(int.Parse).ToHashSet();

        var defaults = new[] { RunnerCommand.DefaultListen, ScraperOptions.DefaultListen, WorkerOptions.DefaultListen }
            .Select(listen => ListenAddress.Parse(listen).Port).ToHashSet();
        Assert.Equal(defaults, exposed);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static IEnumerable<(IReadOnlyList<string> Sources, string Destination, bool IsRestore)> BuildStageCopies()
    {
        foreach (var line in File.ReadLines(Dockerfile).TakeWhile(l => !l.StartsWith("FROM ", StringComparison.Ordinal) || l.Contains(" AS build", StringComparison.Ordinal)))
        {
            if (line.StartsWith("RUN dotnet restore", StringComparison.Ordinal))
            {
                yield return ([], "", true);
            }
            else if (line.StartsWith("COPY ", StringComparison.Ordinal) && !line.Contains("--from", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                yield return (parts[1..^1], parts[^1], false);
            }
        }
    }

    private static string[] RestoreArguments() =>
        File.ReadLines(Dockerfile).Single(l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[2..];

    /// <summary>The project and every project it references, transitively, as paths from the repository root.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([project]);
        while (pending.TryPop(out var current))
        {
            if (!seen.Add(current))
            {
                continue;
            }

            var directory = Path.GetDirectoryName(current)!;
            foreach (var reference in XDocument.Load(Path.Combine(RepositoryPaths.Root, current)).Descendants("ProjectReference"))
            {
                var relative = Path.GetRelativePath(RepositoryPaths.Root, Path.GetFullPath(Path.Combine(RepositoryPaths.Root, directory, reference.Attribute("Include")!.Value.Replace('\\', '/'))));
                pending.Push(relative);
            }
        }

        return seen;
    }

    private static List<string> IgnorePatterns() =>
        [.. File.ReadLines(Path.Combine(RepositoryPaths.Root, ".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];

    private static async Task<HashSet<string>> TrackedFilesAsync()
    {
        var result = await ExternalTool.RunAsync("git", ["ls-files"]);
        Assert.True(result.ExitCode == 0, result.Output);
        return result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }
}
