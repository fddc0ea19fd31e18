namespace QueueExporter.QueueJob.Web;

/// <summary>
/// The exporter-toolkit's <c>client_auth_type</c> values (Go's tls.ClientAuthType names), with the
/// same meaning: whether a client certificate is asked for, required, and checked against <c>client_ca_file</c>.
/// </summary>
public enum ClientAuthType
{
    /// <summary>No client certificate is asked for (the default).</summary>
    NoClientCert,

    /// <summary>A certificate is asked for, not required, not verified.</summary>
    RequestClientCert,

    /// <summary>A certificate is required, not verified.</summary>
    RequireAnyClientCert,

    /// <summary>A certificate is asked for; one that is given must chain to <c>client_ca_file</c>.</summary>
    VerifyClientCertIfGiven,

    /// <summary>A certificate is required and must chain to <c>client_ca_file</c>.</summary>
    RequireAndVerifyClientCert,
}
