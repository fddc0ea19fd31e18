using System.CommandLine;
using QueueExporter.QueueJob.Web;

namespace QueueExporter.Commands;

/// <summary><c>--web.config.file</c>, shared by every listener (runner, worker, scrape) as node_exporter and postgres_exporter take it.</summary>
internal sealed class WebConfigOption
{
    public Option<string?> File { get; } = new("--web.config.file")
    {
        Description = "YAML file in the Prometheus exporter-toolkit's format: tls_server_config (cert_file, key_file, client_auth_type, client_ca_file, min_version) serves HTTPS; basic_auth_users (bcrypt hashes) guards every path. Re-read when it changes; switching between HTTP and HTTPS needs a restart. See docs/listeners.md.",
    };

    public void AddTo(Command command) => command.Options.Add(File);

    /// <summary>The file, read and checked now; null without the option. A bad file is a usage error (one line, exit 2).</summary>
    public WebConfigFile? Load(ParseResult parse)
    {
        if (parse.GetValue(File) is not { } path)
        {
            return null;
        }

        try
        {
            return WebConfigFile.Load(path);
        }
        catch (FormatException ex)
        {
            throw new ArgumentException($"--web.config.file: {ex.Message}", ex);
        }
    }
}
