using QueueExporter.Commands;

namespace QueueExporter.Tests.Cli;

/// <summary>The fallback for a port taken between the preflight and Kestrel's own bind.</summary>
public class ListenFailureTests
{
    [Fact]
    public void Kestrels_bind_failure_becomes_one_line_naming_the_address()
    {
        var failure = new IOException("Failed to bind to address http://127.0.0.1:9731: address already in use.");

        Assert.Equal("cannot listen on 127.0.0.1:9731: address already in use", CommandFailure.ListenFailure(failure));
    }

    [Fact]
    public void Another_io_error_is_left_to_the_general_handler()
    {
        Assert.Null(CommandFailure.ListenFailure(new IOException("Broken pipe")));
    }
}
