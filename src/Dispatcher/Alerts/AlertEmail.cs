using Dispatcher.Mail;

namespace Dispatcher.Alerts;

/// <summary>The model of templates/Alert.cshtml.</summary>
public sealed class AlertEmail : EmailModel
{
    public required string Subject { get; init; }

    /// <summary>Sanitised when the alert was saved; written with @Raw.</summary>
    public required string BodyHtml { get; init; }

    public string? ActionUrl { get; init; }
    public string? ActionLabel { get; init; }
}
