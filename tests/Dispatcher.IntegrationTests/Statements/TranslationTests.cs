using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dispatcher.IntegrationTests.Infrastructure;
using MimeKit;

namespace Dispatcher.IntegrationTests.Statements;

/// <summary>Each reader gets a statement or an alert in their language when it has a translation, else as written —
/// with the fixed words of the email in their language either way, and Arabic right to left. Read back from the wire
/// form (quoted-printable, decoded by MimeKit), as a mail client sees it.</summary>
public sealed class TranslationTests
{
    private const string Readers = """
        email,name,language
        elif@example.org,Elif,tr
        minji@example.org,Min-ji,ko
        layla@example.org,Layla,ar
        anna@example.org,Anna,en
        hans@example.org,Hans,de
        nobody-chose@example.org,,
        """;

    private const string Title = "Stop the repression of South Korean trade unionists";
    private const string Turkish = "Güney Koreli sendikacılara yönelik baskıya son verin";
    private const string Korean = "한국 노동조합원에 대한 탄압을 멈춰라";
    private const string Arabic = "أوقفوا قمع النقابيين في كوريا الجنوبية";

    [Theory]
    [BothStacks]
    public async Task Turkish_Korean_and_Arabic_readers_get_their_translation_and_words_others_the_original(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);
        await app.Api.ImportCsvAsync("solidarity", Encoding.UTF8.GetBytes(Readers), "?confirmed=true");

        var (id, dispatchId) = await app.Api.PublishAsync(new
        {
            title = Title,
            summary = "On 14 November 2015, about 100,000 people took to the streets of Seoul.",
            url = "https://example.org/statements/korea",
            language = "en",
            lists = new[] { "solidarity" },
            translations = new object[]
            {
                new { language = "tr", title = Turkish, summary = "14 Kasım 2015'te Seul'de yaklaşık 100.000 kişi sokaklara döküldü.", url = "https://example.org/tr/kore" },
                new { language = "ko", title = Korean, summary = "2015년 11월 14일, 약 10만 명이 서울 거리로 나섰다.", url = "https://example.org/ko/korea" },
                new { language = "ar", title = Arabic, summary = "في 14 نوفمبر 2015 خرج نحو مئة ألف شخص إلى شوارع سيول.", url = "https://example.org/ar/korea" },
            },
        });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        await Eventually.UntilAsync(() => Task.FromResult(smtp.Received.Count), n => n >= 6, TimeSpan.FromSeconds(30), "six statements to arrive");

        var elif = Single(smtp, "elif@example.org");
        Assert.Equal(Turkish, elif.Subject);
        Assert.Contains("Açıklamanın tamamını okuyun", elif.HtmlBody); // "Read the full statement"
        Assert.Contains("Sevgili Elif,", elif.TextBody);
        Assert.Contains("https://example.org/tr/kore", elif.HtmlBody);
        Assert.Contains("<html lang=\"tr\" dir=\"ltr\"", elif.HtmlBody);

        var minji = Single(smtp, "minji@example.org");
        Assert.Equal(Korean, minji.Subject);
        Assert.Contains("성명 전문 읽기", minji.HtmlBody);
        Assert.Contains("구독 취소", minji.HtmlBody); // the footer's "Unsubscribe"

        var layla = Single(smtp, "layla@example.org");
        Assert.Equal(Arabic, layla.Subject);
        Assert.Contains("<html lang=\"ar\" dir=\"rtl\"", layla.HtmlBody);
        Assert.Contains("اقرأ البيان كاملًا", layla.HtmlBody);
        // Plain text has no dir: every line with words starts with a right-to-left mark.
        var lines = layla.TextBody!.Split('\n').Where(l => l.Trim().Length > 0).ToList();
        Assert.All(lines, line => Assert.Equal('\u200F', line[0]));
        Assert.Contains(lines, line => line.Contains(Arabic));

        var anna = Single(smtp, "anna@example.org");
        Assert.Equal(Title, anna.Subject);
        Assert.Contains("Read the full statement", anna.HtmlBody);

        // German has no translation: the statement as written, the words in German, the content marked English.
        var hans = Single(smtp, "hans@example.org");
        Assert.Equal(Title, hans.Subject);
        Assert.Contains("Die ganze Erklärung lesen", hans.HtmlBody);
        Assert.Contains("<div lang=\"en\" dir=\"ltr\">", hans.HtmlBody);
        Assert.Contains("https://example.org/statements/korea", hans.HtmlBody);

        Assert.Equal(Title, Single(smtp, "nobody-chose@example.org").Subject); // Dispatcher:DefaultLanguage, en

        var stored = await app.Api.GetJsonAsync($"/api/statements/{id}");
        Assert.Equal("en", stored["language"]!.GetValue<string>());
        Assert.Equal(["ar", "ko", "tr"], stored["translations"]!.AsArray().Select(t => t!["language"]!.GetValue<string>()));
    }

    [Theory]
    [BothStacks]
    public async Task An_alert_goes_in_each_readers_language_and_its_preview_shows_any_of_them(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);
        await app.Api.ImportCsvAsync("solidarity", Encoding.UTF8.GetBytes(Readers), "?confirmed=true");

        var alert = await app.Api.PostOkAsync("/api/alerts", new
        {
            subject = "Ankara: vigil tonight at 19:00",
            bodyMarkdown = "Meet at the embassy.",
            actionUrl = "https://example.org/vigil",
            lists = new[] { "solidarity" },
            translations = new object[]
            {
                new { language = "tr", subject = "Ankara: bu akşam 19:00'da nöbet", bodyMarkdown = "Büyükelçilikte buluşalım.", actionLabel = "Katıl" },
                new { language = "ar", subject = "أنقرة: وقفة الليلة الساعة 19:00", bodyMarkdown = "نلتقي أمام السفارة." },
            },
        }, HttpStatusCode.Created);
        var id = alert["id"]!.GetValue<long>();
        Assert.Equal(["ar", "tr"], alert["translations"]!.AsArray().Select(t => t!["language"]!.GetValue<string>()));

        var turkishPreview = await app.Api.GetJsonAsync($"/api/alerts/{id}/preview?language=tr");
        Assert.Equal("Ankara: bu akşam 19:00'da nöbet", turkishPreview["subject"]!.GetValue<string>());
        Assert.Contains("Acil dayanışma çağrısı", turkishPreview["html"]!.GetValue<string>());
        var korean = await app.Api.GetJsonAsync($"/api/alerts/{id}/preview?language=ko"); // no translation: as written, Korean words
        Assert.Equal("Ankara: vigil tonight at 19:00", korean["subject"]!.GetValue<string>());
        Assert.Contains("긴급 연대 요청", korean["html"]!.GetValue<string>());
        var (status, body) = await app.Api.GetAnswerAsync($"/api/alerts/{id}/preview?language=klingon-xx");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("\"language\"", body);

        var sent = await app.Api.PostOkAsync($"/api/alerts/{id}/send", new { }, HttpStatusCode.Accepted);
        await app.Api.WaitForDispatchAsync(sent["dispatchId"]!.GetValue<long>());
        await Eventually.UntilAsync(() => Task.FromResult(smtp.Received.Count), n => n >= 6, TimeSpan.FromSeconds(30), "six alerts to arrive");

        var elif = Single(smtp, "elif@example.org");
        Assert.Equal("Ankara: bu akşam 19:00'da nöbet", elif.Subject);
        Assert.Contains(">Katıl</a>", elif.HtmlBody);
        Assert.Contains("https://example.org/vigil", elif.HtmlBody); // the alert's own link
        var layla = Single(smtp, "layla@example.org");
        Assert.Contains("<html lang=\"ar\" dir=\"rtl\"", layla.HtmlBody);
        Assert.Contains("تحرّك الآن", layla.HtmlBody); // "Take action now": no label given in Arabic
        Assert.Equal("Ankara: vigil tonight at 19:00", Single(smtp, "minji@example.org").Subject);
    }

    [Fact]
    public async Task Bad_translations_are_refused_naming_each_field()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);

        var problem = await app.Api.PostOkAsync("/api/statements", new
        {
            title = Title,
            language = "en",
            lists = new[] { "solidarity" },
            translations = new object?[]
            {
                new { language = "tr", summary = "başlıksız" },
                new { language = "EN", title = "The same language again" },
                new { language = "klingon-xx", title = "?" },
                new { language = "ko", title = Korean, url = "ftp://example.org" },
            },
        }, HttpStatusCode.BadRequest);
        var errors = problem["errors"]!.AsObject();
        Assert.Contains("translations[0].title", errors.Select(e => e.Key));
        Assert.Contains("translations[1].language", errors.Select(e => e.Key));
        Assert.Contains("translations[2].language", errors.Select(e => e.Key));
        Assert.Contains("translations[3].url", errors.Select(e => e.Key));
        var page = await app.Api.GetJsonAsync("/api/statements");
        Assert.Empty(page["items"]!.AsArray()); // nothing kept
    }

    private static MimeMessage Single(TestSmtpServer smtp, string address) => Assert.Single(smtp.To(address)).Message;
}
