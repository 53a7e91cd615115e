using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Dispatcher.Mail;

/// <summary>Derives the plain-text part from the HTML part, so both say the same: headings stand out, links read
/// "text (url)", list items start with "- " or their number, and hidden preview text and styles are left out.</summary>
public static class HtmlToText
{
    private static readonly HashSet<string> Skipped = ["HEAD", "STYLE", "SCRIPT", "TEMPLATE", "NOSCRIPT", "TITLE"];

    private static readonly HashSet<string> Blocks =
        ["P", "DIV", "SECTION", "ARTICLE", "HEADER", "FOOTER", "MAIN", "NAV", "ASIDE", "BLOCKQUOTE", "PRE",
         "TABLE", "TBODY", "THEAD", "TFOOT", "TR", "UL", "OL", "DL", "DT", "DD", "FIGURE", "FIGCAPTION", "ADDRESS", "CENTER"];

    public static string Convert(string html)
    {
        var document = new HtmlParser().ParseDocument(html);
        var writer = new TextWriter();
        Walk(document.Body ?? (INode)document.DocumentElement, writer);
        return writer.ToString();
    }

    private static void Walk(INode node, TextWriter writer)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText text:
                    writer.Inline(text.Data);
                    break;
                case IElement element:
                    WriteElement(element, writer);
                    break;
            }
        }
    }

    private static void WriteElement(IElement element, TextWriter writer)
    {
        var tag = element.TagName;
        if (Skipped.Contains(tag) || IsHidden(element)) return;

        switch (tag)
        {
            case "BR":
                writer.LineBreak();
                return;
            case "HR":
                writer.Block();
                writer.Raw("----------------------------------------");
                writer.Block();
                return;
            case "IMG":
                var alt = element.GetAttribute("alt");
                if (!string.IsNullOrWhiteSpace(alt)) writer.Inline(alt);
                return;
            case "H1" or "H2" or "H3" or "H4" or "H5" or "H6":
                writer.Block();
                var heading = Collapse(element.TextContent);
                writer.Raw(heading);
                if (tag is "H1" or "H2")
                {
                    writer.LineBreak();
                    writer.Raw(new string(tag == "H1" ? '=' : '-', Math.Min(heading.Length, 76)));
                }
                writer.Block();
                return;
            case "A":
                WriteLink(element, writer);
                return;
            case "LI":
                writer.LineBreak();
                writer.Raw(element.ParentElement?.TagName == "OL" ? $"{IndexInList(element)}. " : "- ");
                Walk(element, writer);
                writer.LineBreak();
                return;
            case "TD" or "TH":
                Walk(element, writer);
                writer.Inline(" ");
                return;
        }

        var block = Blocks.Contains(tag);
        if (block) writer.Block();
        Walk(element, writer);
        if (block) writer.Block();
    }

    private static void WriteLink(IElement link, TextWriter writer)
    {
        var href = link.GetAttribute("href")?.Trim();
        var before = writer.Length;
        Walk(link, writer);
        var text = writer.Since(before).Trim();
        if (string.IsNullOrEmpty(href) || href.StartsWith('#')) return;
        var target = href.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) ? href["mailto:".Length..] : href;
        if (text.Length == 0) writer.Inline(target);
        else if (!string.Equals(text, target, StringComparison.OrdinalIgnoreCase)) writer.Inline($" ({target})");
    }

    private static int IndexInList(IElement item)
    {
        var index = 1;
        for (var sibling = item.PreviousElementSibling; sibling is not null; sibling = sibling.PreviousElementSibling)
            if (sibling.TagName == "LI") index++;
        return index;
    }

    private static bool IsHidden(IElement element)
    {
        var style = element.GetAttribute("style");
        if (style is null) return element.HasAttribute("hidden");
        var compact = style.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant();
        return compact.Contains("display:none") || compact.Contains("mso-hide:all");
    }

    private static string Collapse(string text)
    {
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c)) { space = builder.Length > 0; continue; }
            if (space) builder.Append(' ');
            builder.Append(c);
            space = false;
        }
        return builder.ToString();
    }

    /// <summary>Collapses whitespace like a browser and keeps at most one blank line between blocks.</summary>
    private sealed class TextWriter
    {
        private readonly StringBuilder _text = new();
        private bool _pendingSpace;
        private int _pendingBreaks;

        public int Length => _text.Length;

        public string Since(int start) => _text.ToString(start, _text.Length - start);

        public void Inline(string text)
        {
            foreach (var c in text)
            {
                if (char.IsWhiteSpace(c) && c != '\u00A0') { _pendingSpace = true; continue; }
                Flush();
                _text.Append(c == '\u00A0' ? ' ' : c);
            }
        }

        public void Raw(string text)
        {
            _pendingSpace = false;
            Flush();
            _text.Append(text);
        }

        public void LineBreak() => _pendingBreaks = Math.Max(_pendingBreaks, 1);

        public void Block() => _pendingBreaks = 2;

        private void Flush()
        {
            if (_text.Length == 0) { _pendingBreaks = 0; _pendingSpace = false; return; }
            if (_pendingBreaks > 0)
            {
                TrimTrailingSpaces();
                _text.Append('\n', _pendingBreaks);
                _pendingBreaks = 0;
                _pendingSpace = false;
            }
            else if (_pendingSpace)
            {
                if (_text[^1] != ' ' && _text[^1] != '\n') _text.Append(' ');
                _pendingSpace = false;
            }
        }

        private void TrimTrailingSpaces()
        {
            while (_text.Length > 0 && _text[^1] == ' ') _text.Length--;
        }

        public override string ToString()
        {
            TrimTrailingSpaces();
            return _text.ToString().Trim() + "\n";
        }
    }
}
