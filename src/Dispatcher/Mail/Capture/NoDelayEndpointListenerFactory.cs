using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace Dispatcher.Mail.Capture;

/// <summary>SmtpServer's listener, with Nagle off on every accepted socket: with it on, each reply waits for the
/// client's delayed ACK (~40 ms on loopback), capping a connection at ~25 messages/s. It serves the loopback capture
/// mailbox and the test relays.</summary>
public sealed class NoDelayEndpointListenerFactory : EndpointListenerFactory
{
    public override IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
    {
        var listener = new TcpListener(endpointDefinition.Endpoint);
        listener.Start();
        var started = new EndpointEventArgs(endpointDefinition, listener.LocalEndpoint);
        OnEndpointStarted(started);
        return new Listener(listener, () => OnEndpointStopped(started));
    }

    private sealed class Listener(TcpListener listener, Action stopped) : IEndpointListener
    {
        public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
        {
            var socket = await listener.AcceptSocketAsync(cancellationToken);
            socket.NoDelay = true;
            context.Properties[EndpointListener.LocalEndPointKey] = listener.LocalEndpoint;
            context.Properties[EndpointListener.RemoteEndPointKey] = socket.RemoteEndPoint!;
            return new Pipe(new NetworkStream(socket, ownsSocket: true));
        }

        public void Dispose()
        {
            listener.Stop();
            stopped();
        }
    }

    /// <summary>The connection, upgraded to TLS when the endpoint has a certificate (STARTTLS, or at once when it is
    /// secure): the test relays offer both, the capture mailbox neither.</summary>
    private sealed class Pipe(Stream stream) : ISecurableDuplexPipe
    {
        private Stream _stream = stream;

        public PipeReader Input { get; private set; } = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        public PipeWriter Output { get; private set; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
        public bool IsSecure => _stream is SslStream;
        public SslProtocols SslProtocol => (_stream as SslStream)?.SslProtocol ?? SslProtocols.None;

        public async Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default)
        {
            var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate, EnabledSslProtocols = protocols }, cancellationToken);
            _stream = tls; // the client waited for the answer to STARTTLS, so nothing of its is left in the plain reader
            await Input.CompleteAsync();
            await Output.CompleteAsync();
            Input = PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true));
            Output = PipeWriter.Create(tls, new StreamPipeWriterOptions(leaveOpen: true));
        }

        public void Dispose()
        {
            Input.Complete();
            Output.Complete();
            _stream.Dispose();
        }
    }
}
