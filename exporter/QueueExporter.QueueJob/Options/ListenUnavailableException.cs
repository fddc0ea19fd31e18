namespace QueueExporter.QueueJob.Options;

/// <summary>The listen address cannot be bound (in use, not permitted, not on this machine); the message is one line for the operator.</summary>
public sealed class ListenUnavailableException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ListenUnavailableException()
    {
    }

    /// <summary>Creates the exception with its one-line message.</summary>
    public ListenUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its one-line message and the socket error behind it.</summary>
    public ListenUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
