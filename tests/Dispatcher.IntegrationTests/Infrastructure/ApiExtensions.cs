using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>Small helpers for calling the API the way a script would.</summary>
public static class ApiExtensions
{
    public static async Task<JsonNode> PostOkAsync(this HttpClient client, string path, object body, HttpStatusCode expected)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"POST {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text.Length == 0 ? "{}" : text)!;
    }

    public static async Task<JsonNode> GetJsonAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public static async Task<(HttpStatusCode StatusCode, string Body)> GetAnswerAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static Task CreateListAsync(this HttpClient client, string slug, string? name = null, bool doubleOptIn = true) =>
        client.PostOkAsync("/api/lists", new { name = name ?? slug, slug, doubleOptIn }, HttpStatusCode.Created);

    public static Task SubscribeAsync(this HttpClient client, string list, string email, string? name = null,
        string cadence = "immediate", bool confirmed = true, bool alerts = true) =>
        client.PostOkAsync($"/api/lists/{list}/subscribers", new { email, name, cadence, confirmed, alerts }, HttpStatusCode.Created);

    /// <summary>Creates the list and imports reader1@example.org … reader{count}@example.org into it (CSV, as admins do).
    /// Returns their addresses.</summary>
    public static async Task<List<string>> CreateListWithReadersAsync(this HttpClient client, string list, int count)
    {
        await client.CreateListAsync(list);
        var people = Enumerable.Range(1, count).Select(i => $"reader{i}@example.org").ToList();
        await client.ImportCsvAsync(list, System.Text.Encoding.UTF8.GetBytes("email\n" + string.Join("\n", people)));
        return people;
    }

    /// <summary>Posts a CSV to the list's import and returns the answer, asserting its status.</summary>
    public static async Task<JsonNode> ImportCsvAsync(this HttpClient client, string list, byte[] csv, string query = "",
        HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var content = new ByteArrayContent(csv);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        using var response = await client.PostAsync($"/api/lists/{list}/import{query}", content);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>Publishes a statement and returns (id, dispatchId).</summary>
    public static async Task<(long Id, long? DispatchId)> PublishAsync(this HttpClient client, object statement)
    {
        var answer = await client.PostOkAsync("/api/statements", statement, HttpStatusCode.Accepted);
        return (answer["id"]!.GetValue<long>(), answer["dispatchId"]?.GetValue<long>());
    }

    /// <summary>Polls the dispatch until it is completed (or another final status) and returns it.</summary>
    public static Task<JsonNode> WaitForDispatchAsync(this HttpClient client, long dispatchId, string status = "completed", TimeSpan? timeout = null) =>
        Eventually.UntilAsync(
            () => client.GetJsonAsync($"/api/dispatches/{dispatchId}"),
            d => d["status"]!.GetValue<string>() == status,
            timeout ?? TimeSpan.FromSeconds(60),
            $"dispatch {dispatchId} to be {status}");

    public static int Int(this JsonNode node, string property) => node[property]!.GetValue<int>();

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web);
}
