using QueueExporter.Worker.Execution;

namespace QueueExporter.Tests.Worker;

public class ExceptionNamingTests
{
    [Fact]
    public void A_framework_exception_is_named_namespace_dot_class() =>
        Assert.Equal("System.InvalidOperationException", ExceptionNaming.NameOf(new InvalidOperationException("x")));

    [Fact]
    public void A_nested_exception_type_joins_its_declaring_type_with_a_dot() =>
        Assert.Equal("QueueExporter.Tests.Worker.ExceptionNamingTests.NestedException", ExceptionNaming.NameOf(new NestedException()));

    [Fact]
    public void A_generic_exception_type_is_named_without_arity_or_type_arguments() =>
        Assert.Equal("QueueExporter.Tests.Worker.ExceptionNamingTests.GenericException", ExceptionNaming.NameOf(new GenericException<int>()));

    private sealed class NestedException : Exception
    {
    }

    private sealed class GenericException<T> : Exception
    {
    }
}
