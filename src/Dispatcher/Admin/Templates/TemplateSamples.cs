using Dispatcher.Alerts;
using Dispatcher.Digests;
using Dispatcher.Mail;
using Dispatcher.Statements;
using Dispatcher.Subscribers;

namespace Dispatcher.Admin.Templates;

/// <summary>Models for previewing and checking templates, from the statements the network published.</summary>
public static class TemplateSamples
{
    public static readonly Personalisation Person = new("Ana Souza", "ana.souza@example.org",
        "https://example.org/unsubscribe/sample", "https://example.org/preferences/sample", "https://example.org/confirm/sample");

    /// <summary>The template to render to see <paramref name="name"/> (the layout is seen through the statement email).</summary>
    public static string RenderedAs(string name) => name.StartsWith('_') ? "Statement" : name;

    /// <summary>How to see template <paramref name="name"/>, or null when there is no sample for it.</summary>
    public static TemplateSample? For(string name, string baseUrl) =>
        Model(name, baseUrl) is { } sample ? new TemplateSample(RenderedAs(name), sample.Subject, sample.Model, Person) : null;

    private static (string Subject, Func<EmailRecipient, EmailModel> Model)? Model(string name, string baseUrl) => RenderedAs(name) switch
    {
        "Statement" => ("Stop the repression of South Korean trade unionists", r => new StatementEmail
        {
            Recipient = r, PublicBaseUrl = baseUrl, ListName = "Statements",
            Preheader = "On 14 November 2015, about 100,000 people took to the streets of Seoul.",
            Title = "Stop the repression of South Korean trade unionists", Author = "International Socialist Tendency",
            PublishedAt = new DateTime(2015, 11, 24, 9, 0, 0, DateTimeKind.Utc),
            Summary = "On 14 November 2015, about 100,000 people, most of them trade unionists, took to the streets of Seoul in response to a call by the Korean Confederation of Trade Unions (KCTU) for a national day of protest.",
            Url = "https://example.org/statements/korea",
        }),
        "Alert" => ("Ankara: protest at the Turkish embassy tonight, 18:00", r => new AlertEmail
        {
            Recipient = r, PublicBaseUrl = baseUrl, ListName = "Turkey solidarity",
            Subject = "Ankara: protest at the Turkish embassy tonight, 18:00",
            BodyHtml = "<p>Over a hundred are dead after a bomb attack on a peace rally in <strong>Ankara</strong>. Join us tonight.</p>",
            ActionUrl = "https://example.org/protest", ActionLabel = "Join the protest",
        }),
        "Digest" => ("Daily statements: 2 new — Stop the repression of South Korean trade unionists, Ankara bomb attacks…", r => new DigestEmail
        {
            Recipient = r, PublicBaseUrl = baseUrl, ListName = "Statements", CadenceName = "Daily",
            Groups =
            [
                new DigestGroup("Korea solidarity", [new DigestItem(1, "Stop the repression of South Korean trade unionists", "IST", new DateTime(2015, 11, 24, 9, 0, 0, DateTimeKind.Utc), "On 14 November 2015, about 100,000 people took to the streets of Seoul.", "https://example.org/statements/korea")]),
                new DigestGroup("Turkey solidarity", [new DigestItem(2, "Ankara bomb attacks: Blood on Erdoğan’s hands", "IST", new DateTime(2015, 10, 12, 9, 0, 0, DateTimeKind.Utc), "Over a hundred are dead after a bomb attack on a peace rally in Ankara.", "https://example.org/statements/ankara")]),
            ],
        }),
        "Welcome" => ("Welcome to Korea solidarity", r => new WelcomeEmail
        {
            Recipient = r, PublicBaseUrl = baseUrl, ListName = "Korea solidarity", Subject = "Welcome to Korea solidarity",
            BodyHtml = "<p>Thank you for joining. We send statements from the Korean labour movement and, when it matters, an urgent alert.</p>",
        }),
        "Confirmation" or "AlreadySubscribed" => ("Confirm your subscription to Statements", r => new ConfirmationEmail
        {
            Recipient = r, PublicBaseUrl = baseUrl, ListName = "Statements",
            ListDescription = "Statements of the network, as they are published.", ExpiresInDays = 7,
        }),
        _ => null,
    };
}

/// <summary>The samples rendered at start, so that the first email of each kind is as quick as the next.</summary>
public sealed class WarmUpSamples : ITemplateSamples
{
    public IEnumerable<TemplateSample> All(string baseUrl) =>
        new[] { "Statement", "Alert", "Digest", "Confirmation", "Welcome" }.Select(name => TemplateSamples.For(name, baseUrl)).OfType<TemplateSample>();
}
