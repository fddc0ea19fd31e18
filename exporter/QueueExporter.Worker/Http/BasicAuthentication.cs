using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace QueueExporter.Worker.Http;

/// <summary>
/// Checks the <c>Authorization: Basic</c> header of runjob requests against the configured user and
/// password (what OCA's runner sends with <c>ODOO_QUEUE_JOB_HTTP_AUTH_USER|PASSWORD</c>).
/// Compared in constant time, so response timing tells nothing about the password. Without a
/// configured user every request is let through.
/// </summary>
internal sealed class BasicAuthentication(string? user, string? password)
{
    private readonly byte[]? _expected = string.IsNullOrEmpty(user) ? null : Encoding.UTF8.GetBytes(user + ":" + password);

    public bool IsAuthorized(HttpRequest request)
    {
        if (_expected is null)
        {
            return true;
        }

        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        byte[] presented;
        try
        {
            presented = Convert.FromBase64String(header["Basic ".Length..].Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(presented, _expected);
    }
}
