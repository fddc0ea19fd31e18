namespace QueueExporter.TestSupport;
