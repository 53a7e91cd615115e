using Dispatcher.Mail;

namespace Dispatcher.Digests;

/// <summary>The model of templates/Digest.cshtml: the statements new to one person, grouped by list when there are several.</summary>
public sealed class DigestEmail : EmailModel
{
    /// <summary>"Daily" or "Weekly".</summary>
    public required string CadenceName { get; init; }

    public required IReadOnlyList<DigestGroup> Groups { get; init; }

    public int Count => Groups.Sum(g => g.Items.Count);

    /// <summary>"Daily digest: 3 new statements", in the reader's language.</summary>
    public string Heading => Count == 1 ? T($"{CadenceName} digest: one new statement") : T($"{CadenceName} digest: {{0}} new statements", Count);

    /// <summary>A table of contents helps when there is more than a screenful.</summary>
    public bool ShowContents => Count > 4;
}

public sealed record DigestGroup(string ListName, IReadOnlyList<DigestItem> Items);

/// <param name="Language">The language the item is in (the statement's, or its translation's); null: the reader's.</param>
public sealed record DigestItem(long Id, string Title, string? Author, DateTime PublishedAt, string? Summary, string? Url, string? Language = null);
