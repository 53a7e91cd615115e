using System.Buffers;
using System.Net;
using Microsoft.Extensions.Options;
using SmtpServer;
using SmtpServer.ComponentModel;
using SmtpServer.Mail;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Dispatcher.Mail.Capture;

/// <summary>The built-in capture mailbox: a real SMTP server inside the process (Smtp:Host empty), so a newcomer's
/// `dotnet run` is a working system whose mail can be read at /api/mailbox. Listens on loopback only.</summary>
public sealed class CaptureMailbox(
    IOptions<MailboxOptions> options,
    CapturedMessages messages,
    RelaySet relay,
    TimeProvider clock,
    ILogger<CaptureMailbox> logger) : IHostedService
{
    private CancellationTokenSource? _stop;
    private Task? _running;

    public int Port { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var listeners = new NoDelayEndpointListenerFactory();
        var started = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        listeners.EndpointStarted += (_, e) => started.TrySetResult(((IPEndPoint)e.LocalEndPoint).Port);

        var serverOptions = new SmtpServerOptionsBuilder()
            .ServerName("dispatcher-capture")
            .Endpoint(b => b.Endpoint(new IPEndPoint(IPAddress.Loopback, options.Value.Port)))
            .MaxMessageSize(options.Value.MaxMessageBytes)
            .Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(listeners);
        services.Add(new Store(messages, clock, options.Value.MaxMessageBytes));

        _stop = new CancellationTokenSource();
        _running = new SmtpServer.SmtpServer(serverOptions, services).StartAsync(_stop.Token);

        var first = await Task.WhenAny(started.Task, _running, Task.Delay(TimeSpan.FromSeconds(10), cancellationToken));
        if (first != started.Task)
        {
            if (_running.IsFaulted) await _running; // surfaces why it could not listen (port taken, …)
            throw new InvalidOperationException("The capture mailbox did not start listening.");
        }
        Port = await started.Task;
        relay.UseCaptureMailbox(Port);
        logger.LogInformation("Capture mailbox listening on 127.0.0.1:{Port}", Port);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var stop = Interlocked.Exchange(ref _stop, null);
        if (stop is null || _running is null) return;
        await stop.CancelAsync();
        try { await _running.WaitAsync(cancellationToken); }
        catch (OperationCanceledException) { }
        finally { stop.Dispose(); }
    }

    /// <summary>Keeps what arrives, in memory, up to Mailbox:MaxMessageBytes a message (the SIZE it offers is a promise a
    /// client may ignore, so it is checked here too).</summary>
    private sealed class Store(CapturedMessages messages, TimeProvider clock, int maxBytes) : MessageStore
    {
        public override Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (buffer.Length > maxBytes) return Task.FromResult(SmtpResponse.SizeLimitExceeded);
            var to = transaction.To.Select(m => m.AsAddress()).ToList();
            var stored = messages.Add(transaction.From.AsAddress(), to, buffer.ToArray(), clock.GetUtcNow().UtcDateTime);
            return Task.FromResult(new SmtpResponse(SmtpReplyCode.Ok, $"2.0.0 Ok: captured as {stored.Id}"));
        }
    }
}
