namespace QueueExporter.QueueJob;
