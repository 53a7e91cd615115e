using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Subscribers;

/// <summary>CSV import and export through the API: good rows kept, bad rows reported with their line numbers,
/// re-imports change nothing, and what was exported imports again.</summary>
public sealed class ImportExportTests
{
    private static Task<JsonNode> ImportAsync(HttpClient api, string list, byte[] csv, string query = "", HttpStatusCode expected = HttpStatusCode.OK) =>
        api.ImportCsvAsync(list, csv, query, expected);

    private static byte[] Utf8WithBom(string text) => [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"))];

    [Theory]
    [BothStacks]
    public async Task Good_rows_are_kept_bad_rows_are_reported_by_line_and_a_reimport_changes_nothing(Stack stack)
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(stack, smtp);
        await app.Api.CreateListAsync("statements");
        var csv = Utf8WithBom("""
            email,name,cadence,alerts
            ana@example.org,Ana Souza,immediate,true
            not-an-address,Nobody,,
            ben@example.org,"Ben, the organiser",weekly,no

            kim@EXAMPLE.org,"Kim ""Quotes"" Lee",hourly,yes
            rojda@example.org,Rojda,daily,maybe
            ,,,
            "ERDOĞAN@bücher.example",Hakan,Daily,1
            ana@example.org,Ana Souza,immediate,true
            """);

        var result = await ImportAsync(app.Api, "statements", csv);

        Assert.Equal(3, result.Int("imported")); // ana, ben, erdoğan
        Assert.Equal(0, result.Int("updated"));
        Assert.Equal(1, result.Int("unchanged")); // ana's second line
        var rejected = result["rejected"]!.AsArray().Select(r => (r!["line"]!.GetValue<int>(), r["error"]!.GetValue<string>())).ToList();
        Assert.Equal([3, 6, 7, 8], rejected.Select(r => r.Item1));
        Assert.Contains("email address", rejected[0].Item2);
        Assert.Contains("unknown cadence 'hourly'", rejected[1].Item2);
        Assert.Contains("alerts must be true or false", rejected[2].Item2);
        Assert.Contains("email is empty", rejected[3].Item2);

        var ben = await app.Api.GetJsonAsync("/api/subscribers/ben@example.org");
        Assert.Equal("Ben, the organiser", ben["name"]!.GetValue<string>());
        Assert.Equal("weekly", ben["subscriptions"]![0]!["cadence"]!.GetValue<string>());
        Assert.False(ben["subscriptions"]![0]!["alerts"]!.GetValue<bool>());
        Assert.Equal("confirmed", ben["subscriptions"]![0]!["status"]!.GetValue<string>()); // the admin vouches
        var hakan = await app.Api.GetJsonAsync("/api/subscribers/ERDOĞAN@xn--bcher-kva.example");
        Assert.Equal("daily", hakan["subscriptions"]![0]!["cadence"]!.GetValue<string>());

        var again = await ImportAsync(app.Api, "statements", csv);
        Assert.Equal(0, again.Int("imported"));
        Assert.Equal(0, again.Int("updated"));
        Assert.Equal(4, again.Int("unchanged"));
        Assert.Empty(smtp.Received); // imported people are confirmed: no confirmation emails
        var audit = await app.Api.GetJsonAsync("/api/audit?action=subscribers.imported");
        Assert.Equal(2, audit["items"]!.AsArray().Count);
    }

    [Fact]
    public async Task An_import_asking_for_confirmation_sends_each_new_person_a_confirmation_email()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp);
        await app.Api.CreateListAsync("statements");
        var csv = Encoding.UTF8.GetBytes("email\na@example.org\nb@example.org\nc@example.org\n");

        var result = await ImportAsync(app.Api, "statements", csv, "?confirmed=false");

        Assert.Equal(3, result.Int("imported"));
        await Eventually.UntilAsync(() => smtp.Received.Count == 3, TimeSpan.FromSeconds(30), "three confirmation emails");
        Assert.All(smtp.Received, m => Assert.StartsWith("Confirm your subscription", m.Subject));
        var list = await app.Api.GetJsonAsync("/api/lists/statements");
        Assert.Equal(3, list["subscribers"]!["unconfirmed"]!.GetValue<int>());
    }

    [Fact]
    public async Task People_who_left_bounced_or_were_erased_are_not_added_back()
    {
        await using var smtp = await TestSmtpServer.StartAsync();
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp);
        await app.Api.CreateListAsync("statements");
        await ImportAsync(app.Api, "statements", Encoding.UTF8.GetBytes("email\nleft@example.org\nbounced@example.org\nerased@example.org\n"));
        using var anonymous = app.ClientWithKey(null);
        await app.Api.PostOkAsync("/api/bounces", new { email = "bounced@example.org", kind = "hard", reason = "5.1.1 user unknown" }, HttpStatusCode.Accepted);
        Assert.Equal(HttpStatusCode.NoContent, (await app.Api.DeleteAsync("/api/subscribers/erased@example.org")).StatusCode);
        var (_, dispatchId) = await app.Api.PublishAsync(new { title = "A statement", lists = new[] { "statements" } });
        await app.Api.WaitForDispatchAsync(dispatchId!.Value);
        var unsubscribe = Statements.StatementFlowTests.UnsubscribeUrlOf(smtp.To("left@example.org").Single());
        (await anonymous.PostAsync(new Uri(unsubscribe).PathAndQuery, new FormUrlEncodedContent([new("List-Unsubscribe", "One-Click")]))).Dispose();

        var result = await ImportAsync(app.Api, "statements", Encoding.UTF8.GetBytes("email\nleft@example.org\nbounced@example.org\nerased@example.org\n"));

        Assert.Equal(0, result.Int("imported") + result.Int("updated"));
        var errors = result["rejected"]!.AsArray().ToDictionary(r => r!["email"]!.GetValue<string>(), r => r!["error"]!.GetValue<string>());
        Assert.StartsWith("unsubscribed", errors["left@example.org"]);
        Assert.StartsWith("bounced", errors["bounced@example.org"]);
        Assert.Equal("suppressed", errors["erased@example.org"]);
    }

    [Fact]
    public async Task A_file_without_an_email_column_is_400_and_a_wrong_content_type_is_415()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("statements");

        var problem = await ImportAsync(app.Api, "statements", Encoding.UTF8.GetBytes("mail,name\na@example.org,A\n"), expected: HttpStatusCode.BadRequest);
        Assert.Contains("email", problem["errors"]!["body"]![0]!.GetValue<string>());

        using var json = await app.Api.PostAsync("/api/lists/statements/import", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        using var unknown = await app.Api.PostAsync("/api/lists/nope/import", new StringContent("email\n", Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_10_MB_file_is_imported_in_full()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("big");
        var builder = new StringBuilder("email,name,cadence,alerts\n");
        var rows = 0;
        while (builder.Length < 10 * 1024 * 1024)
            builder.Append($"reader{rows++}@example.org,\"Reader {rows}, {new string('x', 170)}\",weekly,true\n");

        var result = await ImportAsync(app.Api, "big", Encoding.UTF8.GetBytes(builder.ToString()));

        Assert.Equal(rows, result.Int("imported"));
        Assert.Empty(result["rejected"]!.AsArray());
        var list = await app.Api.GetJsonAsync("/api/lists/big");
        Assert.Equal(rows, list["subscribers"]!["confirmed"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_export_imports_again_unchanged_and_defuses_spreadsheet_formulas()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("statements");
        await app.Api.CreateListAsync("copy");
        await ImportAsync(app.Api, "statements", Encoding.UTF8.GetBytes("email,name,cadence\na@example.org,\"=HYPERLINK(\"\"http://evil\"\")\",daily\nb@example.org,Ben,weekly\n"));

        using var export = await app.Api.GetAsync("/api/lists/statements/export");
        var csv = await export.Content.ReadAsStringAsync();

        Assert.Equal("text/csv", export.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("email,name,cadence,alerts,language,timeZone,status", csv);
        Assert.Contains("'=HYPERLINK", csv);
        var reimported = await ImportAsync(app.Api, "statements", Encoding.UTF8.GetBytes(csv));
        Assert.Equal(0, reimported.Int("imported"));
        Assert.Equal(1, reimported.Int("updated")); // only the defused name differs
        var copied = await ImportAsync(app.Api, "copy", Encoding.UTF8.GetBytes(csv));
        Assert.Equal(2, copied.Int("imported"));
    }
}
