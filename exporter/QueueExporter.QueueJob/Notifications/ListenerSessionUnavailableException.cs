namespace QueueExporter.QueueJob.Notifications;

/// <summary>Work for the listening session could not run: the session is not connected (or was lost before the work ran).</summary>
public sealed class ListenerSessionUnavailableException : Exception
{
    /// <summary>Creates the exception for the listener named <paramref name="name"/>.</summary>
    public ListenerSessionUnavailableException(string name)
        : base($"the listening session on {name} is not connected")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ListenerSessionUnavailableException()
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ListenerSessionUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
