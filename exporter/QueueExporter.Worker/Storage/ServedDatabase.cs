using Npgsql;
using QueueExporter.QueueJob.Connection;

namespace QueueExporter.Worker.Storage;

/// <summary>A database the worker runs jobs for: its connection pool and its statements.</summary>
internal sealed record ServedDatabase(string Name, DatabaseEndpoint Endpoint, NpgsqlDataSource DataSource, WorkerJobStore Store);
