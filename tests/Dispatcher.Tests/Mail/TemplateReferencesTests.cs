using Dispatcher.Mail;
using Dispatcher.Mail.Templates;

namespace Dispatcher.Tests.Mail;

public sealed class TemplateReferencesTests
{
    [Fact]
    public void Templates_are_not_compiled_against_the_rest_of_the_app()
    {
        var excluded = TemplateReferences.Excluded();

        Assert.Contains("Microsoft.EntityFrameworkCore", excluded);
        Assert.Contains("MassTransit", excluded);
        Assert.Contains("Microsoft.AspNetCore.Mvc.Core", excluded);
        Assert.DoesNotContain("Dispatcher", excluded);
        Assert.DoesNotContain("RazorLight", excluded);
        Assert.DoesNotContain("System.Runtime", excluded);
        Assert.DoesNotContain("System.Linq", excluded);
    }

    [Fact]
    public async Task A_template_may_use_the_base_class_library_but_not_the_apps_other_dependencies()
    {
        var renderer = new EmailRenderer(Path.Combine(AppContext.BaseDirectory, "templates"));
        const string usesLinqAndCulture = """
            @model Dispatcher.Statements.StatementEmail
            <p>@string.Join(", ", new[] { "b", "a" }.OrderBy(x => x)) @DateTime.UnixEpoch.ToString("yyyy", System.Globalization.CultureInfo.InvariantCulture)</p>
            """;
        const string usesEfCore = """
            @model Dispatcher.Statements.StatementEmail
            <p>@typeof(Microsoft.EntityFrameworkCore.DbContext).Name</p>
            """;

        var allowed = await renderer.TrySampleAsync(Statement, candidate: ("Statement", usesLinqAndCulture));
        var refused = await renderer.TrySampleAsync(Statement, candidate: ("Statement", usesEfCore));

        Assert.Null(allowed.Error);
        Assert.Contains("a, b 1970", allowed.Body!.Html);
        Assert.NotNull(refused.Error);
        Assert.Contains("EntityFrameworkCore", refused.Error);
    }

    private static readonly TemplateSample Statement = Dispatcher.Admin.Templates.TemplateSamples.For("Statement", "https://dispatch.example.org")!;
}
