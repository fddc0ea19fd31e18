namespace QueueExporter.Runner;
