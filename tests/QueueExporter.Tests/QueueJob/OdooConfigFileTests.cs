using QueueExporter.QueueJob.Configuration;
using Xunit;

namespace QueueExporter.Tests.QueueJob;

public class OdooConfigFileTests
{
    [Fact]
    public void A_file_as_odoo_writes_it_reads_its_sections_with_false_as_not_set()
    {
        var file = OdooConfigFile.Parse("""
            ; written by odoo-bin --save
            [options]
            admin_passwd = $pbkdf2-sha512$x
            db_host = False
            db_port = False
            DB_User = odoo
            db_password: s3cr3t
            db_name = false
            dbfilter =
            # a comment, not a key

            [queue_job]
            channels = root:4,
              root.mail:1
            jobrunner_db_host = pg-primary
            """, "odoo.conf");

        Assert.Null(file.Get("options", "db_host"));
        Assert.Null(file.Get("options", "db_port"));
        Assert.Null(file.Get("options", "db_name"));
        Assert.Null(file.Get("options", "dbfilter"));
        Assert.Null(file.Get("options", "absent"));
        Assert.Null(file.Get("nosuchsection", "db_user"));
        Assert.Equal("odoo", file.Get("options", "db_user"));
        Assert.Equal("s3cr3t", file.Get("options", "db_password"));
        Assert.Equal("root:4,\nroot.mail:1", file.Get("queue_job", "channels"));
        Assert.Equal("pg-primary", file.Get("queue_job", "jobrunner_db_host"));
    }

    [Fact]
    public void Section_names_are_case_sensitive_and_an_inline_hash_stays_in_the_value()
    {
        // Python's RawConfigParser: sections keep their case, inline comments are not recognised.
        var file = OdooConfigFile.Parse("[Options]\ndb_host = a\n[queue_job]\nchannels = root:4 # four\n", "odoo.conf");

        Assert.Null(file.Get("options", "db_host"));
        Assert.Equal("root:4 # four", file.Get("queue_job", "channels"));
    }

    [Theory]
    [InlineData("db_host = x\n", "line 1: a setting before the first [section]")]
    [InlineData("[options]\njust words\n", "line 2: expected key = value")]
    [InlineData("[options]\n[options]\n", "line 2: section [options] appears twice")]
    [InlineData("[options]\ndb_password = a\nDB_PASSWORD = b\n", "line 3: key db_password appears twice in its section")]
    [InlineData("[]\n", "line 1: a section header must be [name]")]
    public void A_malformed_file_is_one_line_naming_the_file_and_line_and_never_the_value(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => OdooConfigFile.Parse(text, "/etc/odoo/odoo.conf"));

        Assert.Equal("/etc/odoo/odoo.conf " + expected, error.Message);
        Assert.DoesNotContain("\n", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_one_line_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.conf");

        var error = Assert.Throws<FormatException>(() => OdooConfigFile.Load(path));

        Assert.Equal($"Odoo config file {path} does not exist", error.Message);
    }

    [Fact]
    public void A_file_on_disk_is_read()
    {
        var path = Path.Combine(Path.GetTempPath(), $"odoo-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, "[options]\r\ndb_name = a, b\r\n");
        try
        {
            Assert.Equal("a, b", OdooConfigFile.Load(path).Get("options", "db_name"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
