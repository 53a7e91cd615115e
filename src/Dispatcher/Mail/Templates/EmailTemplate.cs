namespace Dispatcher.Mail.Templates;

/// <summary>A template edited in the admin UI. It takes the place of the file of the same name in Templates:Path, in
/// every process (they share the database), and only ever holds source that compiled.</summary>
public sealed class EmailTemplate
{
    /// <summary>"Statement", "_Layout", …</summary>
    public required string Name { get; set; }

    public required string Source { get; set; }
    public DateTime UpdatedAt { get; set; }
    public required string UpdatedBy { get; set; }
}
