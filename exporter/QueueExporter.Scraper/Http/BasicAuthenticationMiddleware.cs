using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace QueueExporter.Scraper.Http;

/// <summary>
/// Requires HTTP basic auth with one fixed user and password. The comparison takes the same time
/// whatever the input, so the password cannot be guessed byte by byte from response times.
/// </summary>
public sealed class BasicAuthenticationMiddleware
{
    private readonly RequestDelegate _next;
    private readonly byte[] _expected;

    /// <summary>Creates the middleware for <paramref name="user"/> and <paramref name="password"/>.</summary>
    public BasicAuthenticationMiddleware(RequestDelegate next, string user, string password)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        _next = next;
        _expected = SHA256.HashData(Encoding.UTF8.GetBytes($"{user}:{password}"));
    }

    /// <summary>Passes authenticated requests on; answers 401 with a challenge otherwise.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (IsAuthorized(context.Request.Headers.Authorization.ToString()))
        {
            return _next(context);
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Basic realm=\"queue-exporter\", charset=\"UTF-8\"";
        return Task.CompletedTask;
    }

    private bool IsAuthorized(string header)
    {
        const string Scheme = "Basic ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        byte[] credentials;
        try
        {
            credentials = Convert.FromBase64String(header[Scheme.Length..].Trim());
        }
        catch (FormatException)
        {
            return false;
        }

        // Hashing first gives both sides the same length for the constant-time comparison.
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(credentials), _expected);
    }
}
