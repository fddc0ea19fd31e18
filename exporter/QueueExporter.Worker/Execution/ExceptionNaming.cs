namespace QueueExporter.Worker.Execution;

/// <summary>
/// The <c>exc_name</c> of a failure, <c>namespace.ClassName</c> as Odoo writes <c>module.ClassName</c>
/// (<c>odoo.exceptions.UserError</c>): nested types joined with a dot, generic arity and arguments
/// dropped, so the value is stable and reads well in a label or a failure list.
/// </summary>
internal static class ExceptionNaming
{
    public static string NameOf(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return NameOf(exception.GetType());
    }

    public static string NameOf(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        var name = type.IsGenericType ? type.GetGenericTypeDefinition().FullName : type.FullName;
        name ??= type.Name;
        var arity = name.IndexOf('`', StringComparison.Ordinal);
        while (arity >= 0)
        {
            // Nested generic types repeat the marker: Outer`1+Inner`2.
            var end = arity + 1;
            while (end < name.Length && char.IsAsciiDigit(name[end]))
            {
                end++;
            }

            name = name[..arity] + name[end..];
            arity = name.IndexOf('`', StringComparison.Ordinal);
        }

        return name.Replace('+', '.');
    }
}
