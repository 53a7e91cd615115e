using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Search;
using MailKit.Security;

namespace Dispatcher.Bounces.Mailbox;

/// <summary>One visit to the bounce mailbox. Deletions take effect only on <see cref="CommitAsync"/>, so a visit that
/// fails half-way leaves every message it had not finished where it was.</summary>
public interface IBounceMailboxSession : IAsyncDisposable
{
    Task<IReadOnlyList<string>> ListAsync(int max, CancellationToken cancellationToken);
    Task<byte[]> ReadAsync(string id, CancellationToken cancellationToken);
    Task DeleteAsync(string id, CancellationToken cancellationToken);
    Task CommitAsync(CancellationToken cancellationToken);
}

public static class BounceMailboxSession
{
    public static async Task<IBounceMailboxSession> OpenAsync(BounceMailboxOptions options, CancellationToken cancellationToken)
    {
        var server = options.Server;
        if (options.UsesImap)
        {
            var imap = new ImapClient { Timeout = server.TimeoutSeconds * 1000 };
            try
            {
                await imap.ConnectAsync(server.Host!, server.Port ?? DefaultPort(server.Security, 993, 143), server.Security, cancellationToken);
                await imap.AuthenticateAsync(server.Username!, server.Password!, cancellationToken);
                var folder = await imap.GetFolderAsync(server.Folder, cancellationToken);
                await folder.OpenAsync(FolderAccess.ReadWrite, cancellationToken);
                return new Imap(imap, folder);
            }
            catch
            {
                imap.Dispose();
                throw;
            }
        }
        var pop3 = new Pop3Client { Timeout = server.TimeoutSeconds * 1000 };
        try
        {
            await pop3.ConnectAsync(server.Host!, server.Port ?? DefaultPort(server.Security, 995, 110), server.Security, cancellationToken);
            await pop3.AuthenticateAsync(server.Username!, server.Password!, cancellationToken);
            return new Pop3(pop3);
        }
        catch
        {
            pop3.Dispose();
            throw;
        }
    }

    private static int DefaultPort(SecureSocketOptions security, int tls, int plain) =>
        security is SecureSocketOptions.SslOnConnect or SecureSocketOptions.Auto ? tls : plain;

    private static async Task<byte[]> BytesOf(MimeKit.MimeMessage message, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await message.WriteToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private sealed class Imap(ImapClient client, IMailFolder folder) : IBounceMailboxSession
    {
        private readonly List<UniqueId> _deleted = [];

        public async Task<IReadOnlyList<string>> ListAsync(int max, CancellationToken cancellationToken) =>
            (await folder.SearchAsync(SearchQuery.NotDeleted, cancellationToken)).Take(max).Select(uid => uid.Id.ToString()).ToList();

        public async Task<byte[]> ReadAsync(string id, CancellationToken cancellationToken) =>
            await BytesOf(await folder.GetMessageAsync(new UniqueId(uint.Parse(id)), cancellationToken), cancellationToken);

        public async Task DeleteAsync(string id, CancellationToken cancellationToken)
        {
            var uid = new UniqueId(uint.Parse(id));
            await folder.AddFlagsAsync(uid, MessageFlags.Deleted, silent: true, cancellationToken);
            _deleted.Add(uid);
        }

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            if (_deleted.Count == 0) return;
            if (client.Capabilities.HasFlag(ImapCapabilities.UidPlus)) await folder.ExpungeAsync(_deleted, cancellationToken);
            else await folder.ExpungeAsync(cancellationToken);
            _deleted.Clear();
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (client.IsConnected) await client.DisconnectAsync(true);
            }
            catch (Exception e) when (e is IOException or ImapProtocolException or ImapCommandException or OperationCanceledException)
            {
                // The server went away: nothing was expunged that was not committed.
            }
            client.Dispose();
        }
    }

    private sealed class Pop3(Pop3Client client) : IBounceMailboxSession
    {
        private bool _committed;

        public Task<IReadOnlyList<string>> ListAsync(int max, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<string>>(Enumerable.Range(0, Math.Min(client.Count, max)).Select(i => i.ToString()).ToList());

        public async Task<byte[]> ReadAsync(string id, CancellationToken cancellationToken) =>
            await BytesOf(await client.GetMessageAsync(int.Parse(id), cancellationToken), cancellationToken);

        public Task DeleteAsync(string id, CancellationToken cancellationToken) => client.DeleteMessageAsync(int.Parse(id), cancellationToken);

        /// <summary>POP3 deletes on QUIT.</summary>
        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await client.DisconnectAsync(true, cancellationToken);
            _committed = true;
        }

        public async ValueTask DisposeAsync()
        {
            // Without QUIT the server forgets the deletions of a visit that did not finish.
            if (!_committed && client.IsConnected)
                try { await client.DisconnectAsync(false); } catch (Exception e) when (e is IOException or Pop3ProtocolException) { }
            client.Dispose();
        }
    }
}
