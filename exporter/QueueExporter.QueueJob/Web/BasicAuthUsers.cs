using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace QueueExporter.QueueJob.Web;

/// <summary>
/// Checks a basic-auth user and password against the bcrypt hashes of <c>basic_auth_users</c>. bcrypt is
/// slow on purpose (tens of milliseconds at cost 10), and Prometheus sends the same credentials every
/// scrape: results are remembered by a SHA-256 of (user, password, hash), as the exporter-toolkit does, in
/// a bounded cache. An unknown user costs a bcrypt check too, so timing does not tell which users exist.
/// </summary>
public sealed class BasicAuthUsers
{
    /// <summary>Remembered results at most; the cache is emptied when full (a handful of clients is normal).</summary>
    public const int CacheSize = 128;

    // The hash an unknown user is checked against, made once: cost 10 like a typical htpasswd -B line.
    private static readonly Lazy<string> Decoy = new(() => BCrypt.Net.BCrypt.HashPassword(Convert.ToHexString(RandomNumberGenerator.GetBytes(16)), 10));

    private readonly ConcurrentDictionary<string, bool> _results = new(StringComparer.Ordinal);

    /// <summary>Whether <paramref name="user"/> with <paramref name="password"/> is one of <paramref name="users"/>.</summary>
    public bool Check(IReadOnlyDictionary<string, string> users, string user, string password)
    {
        ArgumentNullException.ThrowIfNull(users);
        var known = users.TryGetValue(user, out var hash);
        hash = known ? hash! : Decoy.Value;
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{user}\0{password}\0{hash}")));
        if (_results.TryGetValue(key, out var cached))
        {
            return cached && known;
        }

        bool ok;
        try
        {
            ok = BCrypt.Net.BCrypt.Verify(password, hash);
        }
        catch (BCrypt.Net.SaltParseException)
        {
            ok = false;
        }

        if (_results.Count >= CacheSize)
        {
            _results.Clear();
        }

        _results[key] = ok;
        return ok && known;
    }

    /// <summary>Splits an <c>Authorization: Basic …</c> header; false when it is absent or malformed.</summary>
    public static bool TryReadHeader(string? header, out string user, out string password)
    {
        user = password = string.Empty;
        const string Scheme = "Basic ";
        if (header is null || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[Scheme.Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        user = decoded[..colon];
        password = decoded[(colon + 1)..];
        return true;
    }
}
