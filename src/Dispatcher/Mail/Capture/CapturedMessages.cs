using System.Collections.Concurrent;
using MimeKit;

namespace Dispatcher.Mail.Capture;

/// <summary>A message the capture mailbox received, with the envelope it came with.</summary>
public sealed record CapturedMessage(long Id, string From, IReadOnlyList<string> To, string Subject, DateTime ReceivedAt, byte[] Raw);

/// <summary>The newest messages the capture mailbox received, in memory, bounded by Mailbox:Capacity.</summary>
public sealed class CapturedMessages(int capacity)
{
    private readonly ConcurrentQueue<CapturedMessage> _messages = new();
    private long _lastId;

    public long Count => Interlocked.Read(ref _lastId);

    public CapturedMessage Add(string from, IReadOnlyList<string> to, byte[] raw, DateTime receivedAt)
    {
        var subject = ReadSubject(raw);
        var message = new CapturedMessage(Interlocked.Increment(ref _lastId), from, to, subject, receivedAt, raw);
        _messages.Enqueue(message);
        while (_messages.Count > capacity && _messages.TryDequeue(out _)) { }
        return message;
    }

    public IReadOnlyList<CapturedMessage> Newest(int limit) => _messages.Reverse().Take(limit).ToList();

    public CapturedMessage? Find(long id) => _messages.FirstOrDefault(m => m.Id == id);

    private static string ReadSubject(byte[] raw)
    {
        try
        {
            using var stream = new MemoryStream(raw, writable: false);
            return HeaderList.Load(stream)[HeaderId.Subject] ?? "";
        }
        catch (FormatException)
        {
            return "";
        }
    }
}
