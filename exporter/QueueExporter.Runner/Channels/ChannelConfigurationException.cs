namespace QueueExporter.Runner.Channels;

/// <summary>A malformed channels string; the message is one line naming the bad entry.</summary>
public sealed class ChannelConfigurationException : FormatException
{
    public ChannelConfigurationException()
    {
    }

    public ChannelConfigurationException(string message)
        : base(message)
    {
    }

    public ChannelConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
