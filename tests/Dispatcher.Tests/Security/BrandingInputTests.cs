using Dispatcher.Mail.Branding;

namespace Dispatcher.Tests.Security;

/// <summary>The branding is data the templates render, so what goes into their CSS and HTML is checked here.</summary>
public sealed class BrandingInputTests
{
    [Fact]
    public void Each_bad_field_is_named()
    {
        var input = new BrandingInput(new string('x', 201), "http://example.org/logo.png", "red;} body{display:none", "#12345", null,
            new Dictionary<string, string?> { ["Statement.Footer"] = "x", ["Alert.Closing"] = new string('y', 5001) });

        var errors = input.Validate().ToDictionary();

        Assert.Equal(["organisationName", "logoUrl", "accentColour", "backgroundColour", "texts.Statement.Footer", "texts.Alert.Closing"], errors.Keys);
    }

    [Fact]
    public void Markdown_becomes_sanitised_html_and_colours_are_only_ever_colours()
    {
        var row = new EmailBranding { AccentColour = "#AB12CD", BackgroundColour = "expression(alert(1))", LogoUrl = "javascript:alert(1)",
            FooterMarkdown = "**Socialism From Below** <script>alert(1)</script> [site](javascript:alert(1))" };

        var brand = Brand.From(row, [new EmailText { Template = "Alert", Block = "Closing", Markdown = "<img src=x onerror=alert(1)>", UpdatedBy = "test" }], "Dispatcher");

        Assert.Equal("#ab12cd", brand.AccentColour);
        Assert.Equal(Brand.DefaultBackground, brand.BackgroundColour);
        Assert.Null(brand.LogoUrl);
        Assert.Contains("<strong>Socialism From Below</strong>", brand.FooterHtml);
        Assert.DoesNotContain("<script", brand.FooterHtml);
        Assert.DoesNotContain("javascript:", brand.FooterHtml);
        Assert.DoesNotContain("<img", brand.TextsFor("Alert").Closing);
        Assert.Equal("Dispatcher", brand.OrganisationName);
    }
}
