using System.Text;
using QueueExporter.QueueJob.Web;

namespace QueueExporter.Tests.Web;

public class BasicAuthUsersTests
{
    // Cost 4, the lowest bcrypt allows: the same algorithm as cost 10, without the wait.
    private static readonly Dictionary<string, string> Users = new(StringComparer.Ordinal)
    {
        ["prometheus"] = BCrypt.Net.BCrypt.HashPassword("right horse", 4),
    };

    [Fact]
    public void The_right_password_passes_and_a_wrong_one_or_an_unknown_user_does_not()
    {
        var check = new BasicAuthUsers();

        Assert.True(check.Check(Users, "prometheus", "right horse"));
        Assert.False(check.Check(Users, "prometheus", "wrong horse"));
        Assert.False(check.Check(Users, "grafana", "right horse"));
        Assert.False(check.Check(Users, "Prometheus", "right horse"));
    }

    [Fact]
    public void A_remembered_result_still_follows_the_current_hash()
    {
        var check = new BasicAuthUsers();
        Assert.True(check.Check(Users, "prometheus", "right horse"));

        var changed = new Dictionary<string, string>(StringComparer.Ordinal) { ["prometheus"] = BCrypt.Net.BCrypt.HashPassword("new horse", 4) };

        Assert.False(check.Check(changed, "prometheus", "right horse"));
        Assert.True(check.Check(changed, "prometheus", "new horse"));
    }

    [Fact]
    public void More_distinct_attempts_than_the_cache_holds_keep_giving_right_answers()
    {
        var check = new BasicAuthUsers();
        for (var i = 0; i < BasicAuthUsers.CacheSize + 5; i++)
        {
            Assert.False(check.Check(Users, "prometheus", $"guess {i}"));
        }

        Assert.True(check.Check(Users, "prometheus", "right horse"));
    }

    [Theory]
    [InlineData("Basic cHJvbWV0aGV1czpyaWdodDpob3JzZQ==", true, "prometheus", "right:horse")]
    [InlineData("basic cHJvbWV0aGV1czo=", true, "prometheus", "")]
    [InlineData("Bearer abc", false, "", "")]
    [InlineData("Basic !!!", false, "", "")]
    [InlineData("Basic bm9jb2xvbg==", false, "", "")]
    [InlineData(null, false, "", "")]
    public void The_header_is_split_at_the_first_colon(string? header, bool ok, string user, string password)
    {
        Assert.Equal(ok, BasicAuthUsers.TryReadHeader(header, out var u, out var p));
        Assert.Equal(user, u);
        Assert.Equal(password, p);
    }

    [Fact]
    public void The_examples_above_decode_as_claimed()
    {
        Assert.Equal("prometheus:right:horse", Encoding.UTF8.GetString(Convert.FromBase64String("cHJvbWV0aGV1czpyaWdodDpob3JzZQ==")));
        Assert.Equal("nocolon", Encoding.UTF8.GetString(Convert.FromBase64String("bm9jb2xvbg==")));
    }
}
