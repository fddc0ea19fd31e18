using Microsoft.Extensions.Logging;

namespace QueueExporter.QueueJob.Web;

/// <summary>Log events of the listener edge (web config reloads, refusals).</summary>
internal static partial class WebLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "web config {Path} reloaded: {Users} basic-auth users, TLS {Tls}")]
    public static partial void ConfigReloaded(ILogger logger, string path, int users, bool tls);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Error, Message = "web config unusable, refusing requests until it is fixed: {Error}")]
    public static partial void ConfigRejected(ILogger logger, string error);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Information, Message = "TLS handshake refused: {Reason}")]
    public static partial void HandshakeRefused(ILogger logger, string reason);
}
