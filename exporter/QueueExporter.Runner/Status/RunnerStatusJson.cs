using System.Text.Json;
using System.Text.Json.Serialization;

namespace QueueExporter.Runner.Status;

/// <summary>status.json's shape, generated at build time (no reflection, so trimmed builds serve it too).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RunnerStatusSnapshot))]
internal sealed partial class RunnerStatusJson : JsonSerializerContext;
