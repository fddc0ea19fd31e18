using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace QueueExporter.QueueJob.Web;

/// <summary>
/// The <c>--web.config.file</c> of a listener, read again when it changes, as the exporter-toolkit does:
/// every request and every TLS handshake asks for <see cref="Current"/>, which re-reads the (small) file and
/// the certificate files it names, and parses again only when their bytes changed. So a renewed
/// certificate or a new user applies to the next connection without a restart. Whether the listener speaks
/// TLS at all is fixed at start (Kestrel binds HTTP or HTTPS once): a reload that adds or removes TLS is an
/// error until restart. An unusable reload fails closed (requests get 500, handshakes fail) and is logged once.
/// </summary>
public sealed class WebConfigFile
{
    /// <summary>A web config (or certificate) file larger than this is refused: it is a few lines.</summary>
    public const int MaxBytes = 1024 * 1024;

    private readonly Lock _gate = new();
    private byte[] _fingerprint;
    private volatile LoadedWebConfig _current;
    private ILogger _logger = NullLogger.Instance;

    private WebConfigFile(string path, byte[] fingerprint, LoadedWebConfig loaded)
    {
        Path = path;
        _fingerprint = fingerprint;
        _current = loaded;
        ServesTls = loaded.Config.Tls is not null;
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <summary>Whether the listener serves HTTPS (decided by the file as read at start).</summary>
    public bool ServesTls { get; }

    /// <summary>Reads and checks the file and every file it names.</summary>
    /// <exception cref="FormatException">One line starting with the path: unreadable, bad YAML, bad setting, bad certificate.</exception>
    public static WebConfigFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        var (fingerprint, loaded) = Read(full);
        return loaded.Error is { } error ? throw new FormatException(error) : new WebConfigFile(full, fingerprint, loaded);
    }

    /// <summary>Where reloads and their failures are logged (the host's logger, once it exists).</summary>
    public void UseLogger(ILogger logger) => _logger = logger ?? NullLogger.Instance;

    internal ILogger Logger => _logger;

    /// <summary>The settings in force now: re-read if the file or a file it names changed (always, while the last reading failed).</summary>
    public LoadedWebConfig Current()
    {
        var current = _current;
        if (current.Error is null && Unchanged(current))
        {
            return current;
        }

        lock (_gate)
        {
            if (_current.Error is null && Unchanged(_current))
            {
                return _current;
            }

            var previousError = _current.Error;
            var (read, loaded) = Read(Path);
            if (loaded.Error is null && (loaded.Config.Tls is not null) != ServesTls)
            {
                loaded = LoadedWebConfig.Failed($"{Path}: tls_server_config was {(ServesTls ? "removed" : "added")}; switching between HTTP and HTTPS needs a restart");
            }

            _fingerprint = read;
            _current = loaded;
            if (loaded.Error is { } error)
            {
                // Once per distinct error: a broken file is re-read on every request until fixed.
                if (error != previousError)
                {
                    WebLog.ConfigRejected(_logger, error);
                }
            }
            else
            {
                WebLog.ConfigReloaded(_logger, Path, loaded.Config.BasicAuthUsers.Count, ServesTls);
            }

            return loaded;
        }
    }

    private bool Unchanged(LoadedWebConfig current)
    {
        try
        {
            return Fingerprint(Path, current.Config).AsSpan().SequenceEqual(Volatile.Read(ref _fingerprint));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return false;
        }
    }

    private static (byte[] Fingerprint, LoadedWebConfig Loaded) Read(string path)
    {
        WebConfig config;
        byte[] fingerprint;
        try
        {
            var text = ReadBounded(path);
            config = WebConfigParser.Parse(text, System.IO.Path.GetDirectoryName(path) ?? "/");
            fingerprint = Fingerprint(path, config);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            var failed = LoadedWebConfig.Failed($"{path}: {ex.Message.Split('\n')[0].Trim()}");
            return (SafeFingerprint(path), failed);
        }

        try
        {
            return (fingerprint, LoadFiles(config));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            return (fingerprint, LoadedWebConfig.Failed($"{path}: {ex.Message.Split('\n')[0].Trim()}"));
        }
    }

    private static LoadedWebConfig LoadFiles(WebConfig config)
    {
        if (config.Tls is not { } tls)
        {
            return new LoadedWebConfig(config, null, [], []);
        }

        X509Certificate2 certificate;
        var chain = new X509Certificate2Collection();
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(tls.CertFile, tls.KeyFile);
            chain.ImportFromPemFile(tls.CertFile);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CryptographicException($"tls_server_config: cannot use cert_file {tls.CertFile} with key_file {tls.KeyFile}: {ex.Message.Split('\n')[0].Trim()}", ex);
        }

        var intermediates = new X509Certificate2Collection();
        foreach (var other in chain.Where(c => c.Thumbprint != certificate.Thumbprint))
        {
            intermediates.Add(other);
        }
        var cas = new X509Certificate2Collection();
        if (tls.ClientCaFile is { } caFile)
        {
            try
            {
                cas.ImportFromPemFile(caFile);
            }
            catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new CryptographicException($"tls_server_config: cannot read client_ca_file {caFile}: {ex.Message.Split('\n')[0].Trim()}", ex);
            }

            if (cas.Count == 0)
            {
                throw new CryptographicException($"tls_server_config: client_ca_file {caFile} holds no PEM certificate");
            }
        }

        return new LoadedWebConfig(config, certificate, intermediates, cas);
    }

    private static string ReadBounded(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (stream.Length > MaxBytes)
        {
            throw new FormatException($"larger than {MaxBytes} bytes");
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    // The bytes of the config and of each file it names: a renewed certificate is a change too. Contents,
    // not times: a file rewritten within the file system's time resolution, at the same size, still counts.
    private static byte[] Fingerprint(string path, WebConfig config)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(ReadBounded(path)));
        foreach (var file in new[] { config.Tls?.CertFile, config.Tls?.KeyFile, config.Tls?.ClientCaFile })
        {
            if (file is null)
            {
                continue;
            }

            hash.AppendData(System.Text.Encoding.UTF8.GetBytes($"\0{file}\0"));
            hash.AppendData(File.Exists(file) ? System.Text.Encoding.UTF8.GetBytes(ReadBounded(file)) : "missing"u8.ToArray());
        }

        return hash.GetHashAndReset();
    }

    private static byte[] SafeFingerprint(string path)
    {
        try
        {
            return SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ReadBounded(path)));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ex.Message));
        }
    }
}
