using System.Text.RegularExpressions;

namespace QueueExporter.QueueJob.Configuration;

/// <summary>
/// Odoo's <c>dbfilter</c>, applied as Odoo's HTTP layer applies it to a request: <c>%h</c> becomes the
/// request's host name (without port and a leading <c>www.</c>), <c>%d</c> its first label, and the
/// expression must match at the start of the database name (Python's <c>re.match</c>).
/// OCA's runner ignores dbfilter and dispatches jobs of every database it finds; Odoo then refuses the
/// runjob call of a database its filter hides. Discovery here keeps only the databases the filter lets
/// through for the host the runjob calls go to, so no job is dispatched that Odoo would refuse.
/// </summary>
public sealed class OdooDatabaseFilter
{
    // A filter from a configuration file is trusted, but still must not hang discovery.
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly Regex _regex;

    private OdooDatabaseFilter(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    /// <summary>The expression as configured (placeholders not substituted).</summary>
    public string Pattern { get; }

    /// <summary>The filter for requests to <paramref name="host"/>.</summary>
    /// <exception cref="FormatException">One line when the expression is not a valid regular expression.</exception>
    public static OdooDatabaseFilter Create(string pattern, string host)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentNullException.ThrowIfNull(host);
        var name = host.Split(':')[0];
        if (name.StartsWith("www.", StringComparison.Ordinal))
        {
            name = name[4..];
        }

        var domain = name.Split('.')[0];
        var substituted = pattern.Replace("%h", Regex.Escape(name), StringComparison.Ordinal)
            .Replace("%d", Regex.Escape(domain), StringComparison.Ordinal);
        try
        {
            return new OdooDatabaseFilter(pattern, new Regex($@"\A(?:{substituted})", RegexOptions.CultureInvariant, MatchTimeout));
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"dbfilter is not a valid regular expression: {ex.Message}", ex);
        }
    }

    /// <summary>Whether Odoo would serve <paramref name="database"/> under this filter.</summary>
    public bool Matches(string database)
    {
        try
        {
            return _regex.IsMatch(database);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
