using Dispatcher.Mail;

namespace Dispatcher.Statements;

/// <summary>The model of templates/Statement.cshtml.</summary>
public sealed class StatementEmail : EmailModel
{
    public required string Title { get; init; }
    public string? Author { get; init; }
    public required DateTime PublishedAt { get; init; }
    public string? Summary { get; init; }

    /// <summary>Sanitised when the statement was stored; written with @Raw.</summary>
    public string? BodyHtml { get; init; }

    public string? Url { get; init; }
}
