namespace QueueExporter.Scraper;
