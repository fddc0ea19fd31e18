namespace QueueExporter.QueueJob.Schema;

/// <summary>The generations of the queue_job table, told apart by their columns.</summary>
public enum QueueJobShape
{
    /// <summary>A table we cannot place: read what its columns allow.</summary>
    Unknown = 0,
    /// <summary>Early 12.0 (12.0.1.x): <c>record_ids</c>, no exc_name/exc_message/exec_time/worker_pid.</summary>
    Odoo12Old,
    /// <summary>Later 12.0, with exception and timing columns backported.</summary>
    Odoo12,
    /// <summary>13.0: <c>records</c>, no graph_uuid/dependencies/date_cancelled; five states.</summary>
    Odoo13,
    /// <summary>14.0 to 17.0: job graphs, wait_dependencies and cancelled states, text JSON arguments.</summary>
    Odoo14To17,
    /// <summary>18.0: as 14–17 with records/args/kwargs stored as jsonb.</summary>
    Odoo18,
}
