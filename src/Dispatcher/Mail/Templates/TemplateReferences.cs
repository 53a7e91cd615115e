using Microsoft.Extensions.DependencyModel;

namespace Dispatcher.Mail.Templates;

/// <summary>What an email template is compiled against: this app (the email models), RazorLight and the base class
/// library — not the other three hundred assemblies the app references (ASP.NET Core, EF Core, MassTransit, …).</summary>
/// <remarks>RazorLight reads the metadata of every reference into memory for Roslyn. With all of the app's references
/// that cost a sending process tens of megabytes (docs/adr/0007); templates need none of them. A template that names a type from
/// elsewhere gets the compiler's message, in the editor and at its warm-up, like any other compile error.</remarks>
public static class TemplateReferences
{
    private static readonly HashSet<string> ForTemplates = new(StringComparer.OrdinalIgnoreCase)
    {
        "Dispatcher", "RazorLight", "netstandard", "mscorlib",
        "System.Runtime", "System.Runtime.Extensions", "System.Collections", "System.Linq",
        "System.Text.RegularExpressions", "System.Text.Encodings.Web", "System.Web.HttpUtility", "System.Memory",
        "Microsoft.AspNetCore.Html.Abstractions",
    };

    /// <summary>The names of every compile library of the app that templates are not compiled against.</summary>
    public static string[] Excluded() =>
        DependencyContext.Load(typeof(TemplateReferences).Assembly)?.CompileLibraries
            .Select(library => library.Name)
            .Where(name => !ForTemplates.Contains(name))
            .ToArray() ?? [];
}
