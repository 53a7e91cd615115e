using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dispatcher.IntegrationTests.Infrastructure;

namespace Dispatcher.IntegrationTests.Subscribers;

/// <summary>Each reader's language, time zone and attributes: through the API and CSV, checked, kept, exported and
/// imported again unchanged; bad values are refused naming the field (or the line).</summary>
public sealed class ReaderDetailsTests
{
    [Theory]
    [BothStacks]
    public async Task The_API_keeps_a_readers_language_zone_and_attributes_and_updates_only_what_is_given(Stack stack)
    {
        await using var app = await DispatcherApp.StartAsync(stack, smtp: null);
        await app.Api.CreateListAsync("solidarity", doubleOptIn: false);

        await app.Api.PostOkAsync("/api/lists/solidarity/subscribers", new
        {
            email = "elif@example.org", name = "Elif", language = "tr-tr", timeZone = "Europe/Istanbul",
            attributes = new Dictionary<string, string> { ["Country"] = "TR", ["city"] = "Ankara" },
        }, HttpStatusCode.Created);
        await app.Api.CreateListAsync("alerts", doubleOptIn: false);
        await app.Api.PostOkAsync("/api/lists/alerts/subscribers", new
        {
            email = "elif@example.org", attributes = new Dictionary<string, string?> { ["city"] = "İzmir", ["union"] = "DİSK" },
        }, HttpStatusCode.Created);

        var elif = await app.Api.GetJsonAsync("/api/subscribers/elif@example.org");
        Assert.Equal("tr-TR", elif["language"]!.GetValue<string>());
        Assert.Equal("Europe/Istanbul", elif["timeZone"]!.GetValue<string>());
        var attributes = elif["attributes"]!.AsObject().ToDictionary(a => a.Key, a => a.Value!.GetValue<string>());
        Assert.Equal(new Dictionary<string, string> { ["city"] = "İzmir", ["country"] = "TR", ["union"] = "DİSK" }, attributes);
    }

    [Theory]
    [InlineData("language", "klingon-xx", "language")]
    [InlineData("language", "ja", "language")] // a real language, not one this organisation offers (the default: en, de, es, fr, tr, ko, ar)
    [InlineData("timeZone", "Mars/Olympus_Mons", "timeZone")]
    [InlineData("timeZone", "W. Europe Standard Time", "timeZone")] // a Windows id: one spelling in the database
    public async Task A_bad_language_or_zone_is_refused_naming_the_field(string field, string value, string named)
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("solidarity");
        var body = new Dictionary<string, object> { ["email"] = "a@example.org", [field] = value };

        using var response = await app.Api.PostAsJsonAsync("/api/lists/solidarity/subscribers", body);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.NotNull(problem["errors"]![named]);
    }

    [Fact]
    public async Task A_bad_attribute_name_or_value_is_refused_naming_it()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("solidarity");

        using var response = await app.Api.PostAsJsonAsync("/api/lists/solidarity/subscribers", new
        {
            email = "a@example.org", attributes = new Dictionary<string, string> { ["home town"] = "Busan", ["city"] = new string('x', 201) },
        });
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("attributes.home town", errors.Select(e => e.Key));
        Assert.Contains("attributes.city", errors.Select(e => e.Key));
    }

    [Theory]
    [BothStacks]
    public async Task CSV_columns_become_language_zone_and_attributes_bad_rows_are_named_by_line_and_an_export_imports_again_unchanged(Stack stack)
    {
        await using var app = await DispatcherApp.StartAsync(stack, smtp: null);
        await app.Api.CreateListAsync("korea");
        await app.Api.CreateListAsync("copy");
        var csv = """
            email,name,language,timeZone,country,city
            minji@example.org,Min-ji,ko,Asia/Seoul,KR,Seoul
            joon@example.org,Joon,ko-KR,Asia/Seoul,KR,Busan
            ana@example.org,Ana,pt,America/Sao_Paulo,BR,São Paulo
            lee@example.org,Lee,,Asia/Atlantis,KR,
            kim@example.org,Kim,,,KR,
            """;

        var first = await ImportAsync(app.Api, "korea", csv);
        var again = await ImportAsync(app.Api, "korea", csv);

        Assert.Equal(3, first.Int("imported"));
        Assert.Equal([4, 5], first["rejected"]!.AsArray().Select(r => r!["line"]!.GetValue<int>()));
        Assert.Contains("language", first["rejected"]![0]!["error"]!.GetValue<string>()); // pt is not offered by default
        Assert.Contains("time zone", first["rejected"]![1]!["error"]!.GetValue<string>());
        Assert.Equal((0, 0, 3), (again.Int("imported"), again.Int("updated"), again.Int("unchanged")));
        var joon = await app.Api.GetJsonAsync("/api/subscribers/joon@example.org");
        Assert.Equal(("ko-KR", "Asia/Seoul", "Busan", "KR"), (joon["language"]!.GetValue<string>(), joon["timeZone"]!.GetValue<string>(),
            joon["attributes"]!["city"]!.GetValue<string>(), joon["attributes"]!["country"]!.GetValue<string>()));

        var exported = await app.Api.GetStringAsync("/api/lists/korea/export");
        Assert.StartsWith("email,name,cadence,alerts,language,timeZone,city,country,status", exported);
        Assert.Equal((0, 0, 3), Counts(await ImportAsync(app.Api, "korea", exported)));
        Assert.Equal((3, 0, 0), Counts(await ImportAsync(app.Api, "copy", exported)));
    }

    [Fact]
    public async Task A_column_that_cannot_be_an_attribute_refuses_the_file_naming_it()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null);
        await app.Api.CreateListAsync("korea");

        var answer = await ImportAsync(app.Api, "korea", "email,Date added\nminji@example.org,2026-01-01\n", HttpStatusCode.BadRequest);

        Assert.Contains("'Date added'", answer["errors"]!["body"]![0]!.GetValue<string>());
    }

    private static (int, int, int) Counts(JsonNode result) => (result.Int("imported"), result.Int("updated"), result.Int("unchanged"));

    private static Task<JsonNode> ImportAsync(HttpClient api, string list, string csv, HttpStatusCode expected = HttpStatusCode.OK) =>
        api.ImportCsvAsync(list, Encoding.UTF8.GetBytes(csv), expected: expected);
}
