using QueueExporter.QueueJob.Configuration;
using Xunit;

namespace QueueExporter.Tests.QueueJob;

public class OdooDatabaseFilterTests
{
    [Theory]
    [InlineData("^shop$", "odoo.lan", "shop", true)]
    [InlineData("^shop$", "odoo.lan", "shop2", false)]
    [InlineData("shop", "odoo.lan", "shop_test", true)] // re.match: anchored at the start only
    [InlineData("shop", "odoo.lan", "myshop", false)]
    [InlineData("^%d$", "www.acme.example.com:8069", "acme", true)]
    [InlineData("^%h$", "www.acme.example.com:8069", "acme.example.com", true)]
    [InlineData("^%h$", "www.acme.example.com:8069", "acmeXexample.com", false)] // %h is escaped: its dots are literal
    [InlineData("^%d_.*", "127.0.0.1", "127_prod", true)]
    [InlineData("a|b", "h", "b", true)] // an alternation stays anchored as a whole
    [InlineData("a|b", "h", "xb", false)]
    public void A_database_passes_as_odoos_http_layer_would_let_it_through(string pattern, string host, string database, bool expected)
    {
        Assert.Equal(expected, OdooDatabaseFilter.Create(pattern, host).Matches(database));
    }

    [Fact]
    public void An_invalid_expression_is_one_line()
    {
        var error = Assert.Throws<FormatException>(() => OdooDatabaseFilter.Create("^(shop", "h"));

        Assert.StartsWith("dbfilter is not a valid regular expression", error.Message, StringComparison.Ordinal);
    }
}
