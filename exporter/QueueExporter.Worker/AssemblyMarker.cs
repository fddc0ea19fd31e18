namespace QueueExporter.Worker;
