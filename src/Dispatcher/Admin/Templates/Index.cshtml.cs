using Dispatcher.Access;
using Dispatcher.Mail;
using Microsoft.AspNetCore.Authorization;

namespace Dispatcher.Admin.Templates;

[Authorize(Policy = Policies.Admin)]
public sealed class TemplatesModel(EmailRenderer renderer, Microsoft.Extensions.Options.IOptions<TemplateOptions> options) : AdminPage
{
    public bool CodeEditing => options.Value.AllowCodeEditing;

    public sealed record Row(string Name, string Purpose, string? EditedBy, DateTime? EditedAt);

    public string Folder => renderer.TemplatesPath;
    public List<Row> Items { get; private set; } = [];

    public void OnGet() => Items = renderer.Source.Names().Select(name =>
    {
        var edited = renderer.Source.Override(name);
        return new Row(name, Purpose(name), edited?.UpdatedBy, edited?.UpdatedAt);
    }).ToList();

    public static string Purpose(string name) => name switch
    {
        "_Layout" => "the frame of every email: header, styles, footer with the unsubscribe links",
        "Statement" => "a statement, sent at once",
        "Digest" => "daily and weekly digests",
        "Alert" => "urgent solidarity alerts",
        "Confirmation" => "double opt-in: please confirm",
        "Welcome" => "a list's welcome, once, when someone joins",
        "AlreadySubscribed" => "a known address signed up again",
        _ => "",
    };
}
