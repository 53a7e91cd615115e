using System.Net.Sockets;
using System.Text;
using Dispatcher.IntegrationTests.Infrastructure;
using Dispatcher.Mail.Capture;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatcher.IntegrationTests.Security;

/// <summary>The capture mailbox keeps what it receives in memory, so it takes nothing larger than
/// Mailbox:MaxMessageBytes — also from a client that ignores the SIZE it offers.</summary>
public sealed class CaptureMailboxLimitTests
{
    [Fact]
    public async Task A_message_over_the_limit_is_refused_and_not_kept()
    {
        await using var app = await DispatcherApp.StartAsync(Stack.InMemorySqlite, smtp: null, new Dictionary<string, string?> { ["Mailbox:MaxMessageBytes"] = "4096" });
        var port = app.Services.GetRequiredService<CaptureMailbox>().Port;

        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        async Task<string> SayAsync(string line)
        {
            if (line.Length > 0) await stream.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
            string reply;
            do reply = (await reader.ReadLineAsync())!; while (reply.Length > 3 && reply[3] == '-');
            return reply;
        }

        Assert.StartsWith("220", await SayAsync(""));
        Assert.Contains("SIZE 4096", string.Join(" ", await EhloAsync(stream, reader)));
        Assert.StartsWith("250", await SayAsync("MAIL FROM:<someone@example.org>")); // no SIZE= promise
        Assert.StartsWith("250", await SayAsync("RCPT TO:<reader@example.org>"));
        Assert.StartsWith("354", await SayAsync("DATA"));
        var body = "Subject: large\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('x', 76) + "\r\n", 100)); // ~7.8 KB
        Assert.StartsWith("552", await SayAsync(body + "."));

        Assert.Empty((await app.Api.GetJsonAsync("/api/mailbox"))["items"]!.AsArray());
    }

    private static async Task<List<string>> EhloAsync(NetworkStream stream, StreamReader reader)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes("EHLO test.example.org\r\n"));
        var lines = new List<string>();
        string line;
        do lines.Add(line = (await reader.ReadLineAsync())!); while (line.Length > 3 && line[3] == '-');
        return lines;
    }
}
