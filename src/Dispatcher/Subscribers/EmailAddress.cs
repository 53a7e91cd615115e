using System.Diagnostics.CodeAnalysis;
using MimeKit;

namespace Dispatcher.Subscribers;

/// <summary>Normalises and validates subscriber addresses with MimeKit's parser: trimmed, one bare address (no display
/// name), the domain lower-cased and IDN-encoded, so the same person is always the same row.</summary>
public static class EmailAddress
{
    public const int MaxLength = 254;

    public static bool TryNormalise(string? input, [NotNullWhen(true)] out string? normalised, [NotNullWhen(false)] out string? error)
    {
        normalised = null;
        var text = input?.Trim();
        if (string.IsNullOrEmpty(text)) { error = "An email address is required."; return false; }
        if (text.Length > MaxLength) { error = $"An email address has at most {MaxLength} characters."; return false; }
        if (text.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)) || text.Contains('<') || text.Contains(',') || text.Contains(';'))
        {
            error = "This is not a single email address.";
            return false;
        }

        if (!MailboxAddress.TryParse(ParserOptions.Default, text, out var mailbox) || mailbox.Route.Count > 0 || !string.IsNullOrEmpty(mailbox.Name))
        {
            error = "This is not a valid email address.";
            return false;
        }

        var at = mailbox.Address.LastIndexOf('@');
        if (at <= 0 || at == mailbox.Address.Length - 1) { error = "An email address needs a name and a domain (name@example.org)."; return false; }

        var local = mailbox.Address[..at];
        string domain;
        try
        {
            domain = new System.Globalization.IdnMapping().GetAscii(mailbox.Address[(at + 1)..]).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            error = "The domain of this email address is not valid.";
            return false;
        }

        if (!domain.Contains('.') || domain.StartsWith('.') || domain.EndsWith('.') || domain.Contains(".."))
        {
            error = "The domain of this email address is not valid.";
            return false;
        }

        normalised = $"{local}@{domain}";
        error = null;
        return true;
    }
}
