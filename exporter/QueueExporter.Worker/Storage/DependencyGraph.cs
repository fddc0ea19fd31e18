using System.Text.Json;

namespace QueueExporter.Worker.Storage;

/// <summary>Reads the <c>dependencies</c> column of a job (Odoo's <c>{"depends_on": [...], "reverse_depends_on": [...]}</c>).</summary>
internal static class DependencyGraph
{
    /// <summary>
    /// False only when the column says for certain that no job waits for this one. Text we cannot read
    /// answers true, so the SQL that releases dependents still runs and decides.
    /// </summary>
    public static bool MayHaveDependents(string? dependenciesJson)
    {
        if (string.IsNullOrWhiteSpace(dependenciesJson))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(dependenciesJson);
            return document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("reverse_depends_on", out var reverse)
                || reverse.ValueKind != JsonValueKind.Array
                || reverse.GetArrayLength() > 0;
        }
        catch (JsonException)
        {
            return true;
        }
    }
}
