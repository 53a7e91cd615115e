using MimeKit;

namespace Dispatcher.Mail;

/// <summary>One message to one person, waiting for a connection of its lane (see <see cref="RelayConnections"/>). The
/// connection that takes it builds the message, sends it, and completes the job with the relay's answer — exactly once,
/// unless the job is withdrawn before anyone took it.</summary>
public abstract class MailJob
{
    private const int Waiting = 0, Taken = 1, Withdrawn = 2, Done = 3;

    /// <summary>Wire form for SMTP: CRLF line ends, Bcc and the like never written.</summary>
    private static readonly FormatOptions Wire = CreateWireFormat();

    private int _state;

    public abstract Lane Lane { get; }

    /// <summary>The envelope sender (the return path).</summary>
    public abstract string Sender { get; }

    public abstract string Recipient { get; }

    /// <summary>How many times a connection gave it back unsent (the relay was too busy, or the connection closed first).</summary>
    internal int Returned { get; set; }

    /// <summary>Writes the message, on the connection that sends it, just before it goes. False: it is no longer to be
    /// sent (the job has recorded why itself), and nothing was written.</summary>
    public abstract ValueTask<bool> WriteAsync(Stream output);

    /// <summary>Asked again right before the bytes that complete the message leave: a round trip after
    /// <see cref="WriteAsync"/> when the relay's go-ahead came in between, and any time after for a process that was paused
    /// in between. False: it is not sent after all — the job has recorded why itself — and the relay gets no complete
    /// message.</summary>
    public virtual bool StillToSend() => true;

    /// <summary>The relay's answer, or why the message could not be sent. Called once; keep it short (it runs on the
    /// connection, between messages).</summary>
    protected abstract void OnCompleted(SendOutcome outcome);

    /// <summary>Takes the job back before any connection took it: true when it will not be sent.</summary>
    public bool TryWithdraw() => Interlocked.CompareExchange(ref _state, Withdrawn, Waiting) == Waiting;

    internal bool TryTake() => Interlocked.CompareExchange(ref _state, Taken, Waiting) == Waiting;

    /// <summary>Unsent, for another connection (or for withdrawal).</summary>
    internal void GiveBack()
    {
        Returned++;
        Volatile.Write(ref _state, Waiting);
    }

    /// <summary>Answers a job a connection has taken; once.</summary>
    internal void Complete(SendOutcome outcome)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Taken) == Taken) OnCompleted(outcome);
    }

    /// <summary>Its <see cref="WriteAsync"/> said no: done, with the outcome it recorded itself.</summary>
    internal void Finish() => Interlocked.CompareExchange(ref _state, Done, Taken);

    protected static void WriteMime(MimeMessage message, Stream output) => message.WriteTo(Wire, output);

    /// <summary>Writes a message as a connection would, to nowhere: MimeKit's first message, at start (see SendPathWarmUp).</summary>
    internal static void Rehearse(MimeMessage message) => WriteMime(message, Stream.Null);

    private static FormatOptions CreateWireFormat()
    {
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos;
        format.HiddenHeaders.Add(HeaderId.Bcc);
        format.HiddenHeaders.Add(HeaderId.ResentBcc);
        format.HiddenHeaders.Add(HeaderId.ContentLength);
        return format;
    }
}

/// <summary>A message already built, sent on its own (a test copy of an alert): completes a task with the answer.</summary>
public sealed class SingleMailJob(Lane lane, string sender, string recipient, MimeMessage message) : MailJob
{
    private readonly TaskCompletionSource<SendOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Lane Lane => lane;
    public override string Sender => sender;
    public override string Recipient => recipient;

    public Task<SendOutcome> Outcome => _outcome.Task;

    public override ValueTask<bool> WriteAsync(Stream output)
    {
        WriteMime(message, output);
        return ValueTask.FromResult(true);
    }

    protected override void OnCompleted(SendOutcome outcome) => _outcome.TrySetResult(outcome);
}
