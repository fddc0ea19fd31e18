using System.Text;
using System.Text.RegularExpressions;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The metric names a PromQL expression selects. Not a PromQL parser: it removes what cannot hold
/// a metric name (string literals, label matchers, ranges, grouping label lists), then keeps the
/// identifiers that are neither function calls nor keywords. Good enough for our own rules and
/// dashboards, and tested on their constructs; Prometheus itself judges the syntax (promtool,
/// and the query API in the end-to-end test).
/// </summary>
internal static partial class PromQlMetricNames
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
        "offset", "bool", "inf", "nan", "atan2",
    };

    public static IReadOnlySet<string> Extract(string expression)
    {
        var text = RemoveBracketed(RemoveBracketed(RemoveStringLiterals(expression), '{', '}'), '[', ']');
        text = LabelList().Replace(text, " ");
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match token in Token().Matches(text))
        {
            var value = token.Value;
            if (char.IsDigit(value[0]) || Keywords.Contains(value) || IsCall(text, token.Index + token.Length)
                || (token.Index > 0 && text[token.Index - 1] == '$'))
            {
                continue;
            }

            names.Add(value);
        }

        return names;
    }

    private static bool IsCall(string text, int end)
    {
        while (end < text.Length && char.IsWhiteSpace(text[end]))
        {
            end++;
        }

        return end < text.Length && text[end] == '(';
    }

    private static string RemoveStringLiterals(string text)
    {
        var result = new StringBuilder(text.Length);
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is null)
            {
                if (c is '"' or '\'' or '`')
                {
                    quote = c;
                    result.Append("\"\"");
                }
                else
                {
                    result.Append(c);
                }
            }
            else if (c == '\\' && quote != '`')
            {
                i++;
            }
            else if (c == quote)
            {
                quote = null;
            }
        }

        return result.ToString();
    }

    private static string RemoveBracketed(string text, char open, char close)
    {
        var result = new StringBuilder(text.Length);
        var depth = 0;
        foreach (var c in text)
        {
            if (c == open)
            {
                depth++;
            }
            else if (c == close && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                result.Append(c);
            }
        }

        return result.ToString();
    }

    [GeneratedRegex(@"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex LabelList();

    // Numbers and durations (0.95, 1e3, 5m) are matched so that their letters are not taken for names.
    [GeneratedRegex(@"[0-9][0-9A-Za-z_.]*|[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Token();
}
