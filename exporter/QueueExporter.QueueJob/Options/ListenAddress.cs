using System.Globalization;
using System.Net;

namespace QueueExporter.QueueJob.Options;

/// <summary>
/// The one grammar of <c>--listen</c> for every listener (runner, worker, scrape): <c>host:port</c> or
/// <c>http://host:port[/]</c>, where host is an IP address (IPv6 in brackets), <c>localhost</c> or
/// <c>*</c> (every IPv4 interface) and port is 0-65535 (0: any free port). Anything else is refused
/// at start, before a socket is opened: Kestrel would otherwise bind a mistyped value to port 80 on
/// every interface. Pure: no I/O.
/// </summary>
public static class ListenAddress
{
    private const string HttpPrefix = "http://";

    /// <summary>Parses <paramref name="text"/>; false with a one-line <paramref name="error"/> (without the option name) when invalid.</summary>
    public static bool TryParse(string? text, out IPEndPoint endpoint, out string error)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        error = string.Empty;
        var value = (text ?? string.Empty).Trim();
        if (value.Contains("://", StringComparison.Ordinal))
        {
            if (!value.StartsWith(HttpPrefix, StringComparison.OrdinalIgnoreCase))
            {
                error = $"'{text}' is not host:port or http://host:port (for HTTPS, give --web.config.file a tls_server_config)";
                return false;
            }

            value = value[HttpPrefix.Length..];
            if (value.EndsWith('/'))
            {
                value = value[..^1];
            }
        }

        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            error = $"'{text}' is not host:port (e.g. 127.0.0.1:9731)";
            return false;
        }

        var portText = value[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            error = $"'{text}': the port must be a number from 0 to 65535, got '{portText}'";
            return false;
        }

        var host = value[..colon];
        var address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" => IPAddress.Any,
            ['[', .. var inner, ']'] when IPAddress.TryParse(inner, out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 => v6,
            _ when !host.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(host, out var v4) && host.Count(c => c == '.') == 3 => v4,
            _ => null,
        };
        if (address is null)
        {
            error = $"'{text}': the host must be an IP address ([...] for IPv6), localhost or *, got '{host}'";
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>Parses <paramref name="text"/> or throws <see cref="ArgumentException"/> with one line naming <paramref name="option"/>.</summary>
    public static IPEndPoint Parse(string? text, string option = "--listen") =>
        TryParse(text, out var endpoint, out var error) ? endpoint : throw new ArgumentException($"{option}: {error}");

    /// <summary>How an endpoint is written in messages: <c>127.0.0.1:9731</c>, <c>[::1]:9731</c>.</summary>
    public static string Format(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.ToString();
    }
}
