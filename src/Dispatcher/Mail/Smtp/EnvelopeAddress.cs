using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Dispatcher.Mail.Smtp;

/// <summary>An address as it goes into MAIL FROM and RCPT TO: nothing that could end the command or add one (controls,
/// spaces, angle brackets) gets through, the domain is IDN-encoded, and a non-ASCII local part needs SMTPUTF8.</summary>
public static class EnvelopeAddress
{
    public static bool TryFormat(string address, bool smtpUtf8, [NotNullWhen(true)] out string? formatted, out bool needsUtf8,
        [NotNullWhen(false)] out string? problem)
    {
        formatted = null;
        needsUtf8 = false;
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1 || address.Length > 320)
        {
            problem = "not an address the relay can be given";
            return false;
        }
        foreach (var c in address)
            if (c <= ' ' || c == '\u007f' || c is '<' or '>' || char.IsControl(c) || char.IsWhiteSpace(c))
            {
                problem = "not an address the relay can be given (a control character, space or angle bracket)";
                return false;
            }

        string domain;
        try
        {
            domain = new IdnMapping().GetAscii(address[(at + 1)..]);
        }
        catch (ArgumentException)
        {
            problem = "its domain is not a valid domain name";
            return false;
        }
        var local = address[..at];
        needsUtf8 = !local.All(char.IsAscii);
        if (needsUtf8 && !smtpUtf8)
        {
            problem = "the relay does not take addresses with non-ASCII characters (it does not offer SMTPUTF8)";
            return false;
        }
        formatted = $"{local}@{domain}";
        problem = null;
        return true;
    }
}
