namespace Dispatcher.Hosting;

/// <summary>Text from outside (a mail's Subject, a feed's title) as it may appear in a log line: no control or format
/// characters (no forged line breaks, no right-to-left overrides that make a line read differently), at most
/// <paramref name="length"/> characters.</summary>
public static class LogText
{
    public static string Safe(string? text, int length = 100)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var builder = new System.Text.StringBuilder(Math.Min(text.Length, length + 1));
        foreach (var c in text)
        {
            if (builder.Length >= length)
            {
                builder.Append('…');
                break;
            }
            var category = char.GetUnicodeCategory(c);
            builder.Append(category is System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator ? ' ' : c);
        }
        return builder.ToString();
    }
}
