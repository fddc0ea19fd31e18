using System.Net;
using System.Net.Sockets;

namespace QueueExporter.QueueJob.Options;

/// <summary>
/// Binds the listen address once, and lets it go, before a listener's host starts: a port already in
/// use (or not allowed, or an address this machine does not have) then stops the command with one line
/// before any service has started, instead of the host's stack trace and half-started services.
/// The port could still be taken between this check and Kestrel's bind; that rare case is reported
/// in one line by the command's failure handler too.
/// </summary>
public static class ListenPreflight
{
    /// <summary>Throws <see cref="ListenUnavailableException"/> when <paramref name="endpoint"/> cannot be bound now.</summary>
    public static void EnsureAvailable(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Port == 0)
        {
            return; // any free port: nothing to check.
        }

        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(endpoint);
        }
        catch (SocketException ex)
        {
            var reason = ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "address already in use",
                SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
                SocketError.AddressNotAvailable => "this machine has no such address",
                _ => ex.Message,
            };
            throw new ListenUnavailableException($"cannot listen on {endpoint}: {reason}", ex);
        }
    }
}
