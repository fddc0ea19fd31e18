using System.Text.RegularExpressions;

namespace QueueExporter.IntegrationTests.Monitoring;

/// <summary>
/// The series selectors of a PromQL expression (metric name with its label matchers, e.g.
/// <c>queue_job_jobs{state="pending"}</c>), so that each can be checked to match live series: a
/// typo in a label value leaves a panel empty as surely as a typo in a name. Built on
/// <see cref="PromQlMetricNames"/>: the names it finds, each with the matcher block that follows it.
/// </summary>
internal static partial class PromQlSelectors
{
    public static IReadOnlySet<string> Extract(string expression)
    {
        var names = PromQlMetricNames.Extract(expression);
        var selectors = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Match token in Identifier().Matches(expression))
        {
            if (!names.Contains(token.Value) || IsInsideQuotesOrBraces(expression, token.Index))
            {
                continue;
            }

            var end = token.Index + token.Length;
            var next = end;
            while (next < expression.Length && char.IsWhiteSpace(expression[next]))
            {
                next++;
            }

            selectors.Add(next < expression.Length && expression[next] == '{'
                ? token.Value + expression[next..(MatchingBrace(expression, next) + 1)]
                : token.Value);
        }

        return selectors;
    }

    private static bool IsInsideQuotesOrBraces(string text, int position)
    {
        char? quote = null;
        var braces = 0;
        for (var i = 0; i < position; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = null;
                }
            }
            else if (c is '"' or '\'' or '`')
            {
                quote = c;
            }
            else if (c == '{')
            {
                braces++;
            }
            else if (c == '}')
            {
                braces--;
            }
        }

        return quote is not null || braces > 0;
    }

    private static int MatchingBrace(string text, int open)
    {
        char? quote = null;
        for (var i = open + 1; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is not null)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = null;
                }
            }
            else if (c is '"' or '\'' or '`')
            {
                quote = c;
            }
            else if (c == '}')
            {
                return i;
            }
        }

        throw new FormatException($"unclosed label matchers in {text}");
    }

    [GeneratedRegex(@"(?<![A-Za-z0-9_:$])[A-Za-z_:][A-Za-z0-9_:]*")]
    private static partial Regex Identifier();
}
