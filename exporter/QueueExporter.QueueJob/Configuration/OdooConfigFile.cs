namespace QueueExporter.QueueJob.Configuration;

/// <summary>
/// An Odoo configuration file (<c>odoo.conf</c>, <c>ODOO_RC</c>) read the way Odoo reads it: Python's
/// <c>RawConfigParser</c> grammar (<c>[section]</c>, <c>key = value</c> or <c>key: value</c>, keys
/// case-insensitive, <c>#</c>/<c>;</c> comment lines, indented continuation lines, no inline comments,
/// no interpolation), and Odoo's convention that <c>False</c>/<c>false</c> means "not set" (Odoo writes
/// <c>db_host = False</c> for every option left at its default). A duplicate section or key is an error,
/// as Python's strict parser makes it: a second <c>db_password</c> silently winning would be a trap.
/// </summary>
public sealed class OdooConfigFile
{
    /// <summary>The environment variable Odoo reads for its configuration file when none is named.</summary>
    public const string EnvironmentVariable = "ODOO_RC";

    /// <summary>Larger than any real odoo.conf by far; bounds what a wrong path (a log file, a device) can make us read.</summary>
    private const long MaxBytes = 1024 * 1024;

    private readonly Dictionary<string, Dictionary<string, string>> _sections;

    private OdooConfigFile(string source, Dictionary<string, Dictionary<string, string>> sections)
    {
        Source = source;
        _sections = sections;
    }

    /// <summary>Where the settings came from (a path), for messages.</summary>
    public string Source { get; }

    /// <summary>A file with no settings: what "no configuration file" reads as.</summary>
    public static OdooConfigFile Empty { get; } = new("(none)", new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal));

    /// <summary>Reads and parses <paramref name="path"/>.</summary>
    /// <exception cref="FormatException">One line naming the file: unreadable, too large, or not in the grammar.</exception>
    public static OdooConfigFile Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new FormatException($"Odoo config file {path} does not exist");
            }

            if (info.Length > MaxBytes)
            {
                throw new FormatException($"Odoo config file {path} is larger than {MaxBytes / 1024} KiB: not an Odoo config file");
            }

            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot read Odoo config file {path}: {ex.Message}", ex);
        }

        return Parse(text, path);
    }

    /// <summary>Parses the text of a configuration file; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="FormatException">One line with the file and line number; never the line's value (it may be a password).</exception>
    public static OdooConfigFile Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? section = null;
        string? lastKey = null;
        var lineNumber = 0;
        foreach (var rawLine in text.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.TrimEnd('\r');
            var trimmed = line.Trim();
            if (trimmed.Length == 0)
            {
                // A blank line ends a value here (Python would keep it inside an indented value; Odoo's
                // files never have one, and ending the value cannot glue a comment onto a password).
                lastKey = null;
                continue;
            }

            if (trimmed[0] is '#' or ';')
            {
                continue;
            }

            if (char.IsWhiteSpace(line[0]) && section is not null && lastKey is not null)
            {
                section[lastKey] = section[lastKey] + "\n" + trimmed;
                continue;
            }

            if (trimmed[0] == '[')
            {
                var close = trimmed.IndexOf(']', StringComparison.Ordinal);
                if (close < 2)
                {
                    throw new FormatException($"{source} line {lineNumber}: a section header must be [name]");
                }

                var name = trimmed[1..close];
                if (!sections.TryAdd(name, section = new Dictionary<string, string>(StringComparer.Ordinal)))
                {
                    throw new FormatException($"{source} line {lineNumber}: section [{name}] appears twice");
                }

                lastKey = null;
                continue;
            }

            var separator = trimmed.IndexOfAny(['=', ':']);
            if (separator <= 0)
            {
                throw new FormatException($"{source} line {lineNumber}: expected key = value");
            }

            if (section is null)
            {
                throw new FormatException($"{source} line {lineNumber}: a setting before the first [section]");
            }

            // RawConfigParser lower-cases keys (optionxform), so DB_HOST and db_host are one key.
            var key = trimmed[..separator].Trim().ToLowerInvariant();
            if (!section.TryAdd(key, trimmed[(separator + 1)..].Trim()))
            {
                throw new FormatException($"{source} line {lineNumber}: key {key} appears twice in its section");
            }

            lastKey = key;
        }

        return new OdooConfigFile(source, sections);
    }

    /// <summary>
    /// The value of <paramref name="key"/> in <paramref name="section"/>, or null when it is absent, empty,
    /// or <c>False</c>/<c>false</c>/<c>None</c> (Odoo's ways of writing "not set").
    /// </summary>
    public string? Get(string section, string key)
    {
        if (!_sections.TryGetValue(section, out var values) || !values.TryGetValue(key.ToLowerInvariant(), out var value))
        {
            return null;
        }

        return value.Length == 0 || value is "False" or "false" or "None" ? null : value;
    }
}
