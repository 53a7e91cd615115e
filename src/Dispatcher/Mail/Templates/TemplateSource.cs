using Dispatcher.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace Dispatcher.Mail.Templates;

/// <summary>Where email templates come from: the files in Templates:Path (code, shipped and reviewed with the app) —
/// and, only with Templates:AllowCodeEditing, the ones edited in the admin UI (kept in the database, so every process
/// sees them) taking their place. Compiled templates carry a change token that fires when either changes, so the next
/// dispatch compiles the new version.</summary>
public sealed class TemplateSource : IDisposable
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(2);
    private readonly IServiceScopeFactory? _scopes;
    private readonly PhysicalFileProvider _files;
    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile Snapshot _current = new(new Dictionary<string, EmailTemplate>(), "", new CancellationTokenSource());
    private DateTime _checkedAt = DateTime.MinValue;

    private sealed record Snapshot(IReadOnlyDictionary<string, EmailTemplate> Overrides, string Stamp, CancellationTokenSource Changed);

    /// <param name="scopes">Null: files only (tests, tools, and every process unless Templates:AllowCodeEditing is on:
    /// source kept in the database is code an admin typed).</param>
    public TemplateSource(string folder, IServiceScopeFactory? scopes = null)
    {
        Folder = folder;
        _scopes = scopes;
        _files = new PhysicalFileProvider(folder);
    }

    /// <summary>Whether edits kept in the database take the files' place (Templates:AllowCodeEditing).</summary>
    public bool UsesEdits => _scopes is not null;

    public string Folder { get; }

    /// <summary>Templates a dispatch can use (not the layout and partials, whose names start with "_").</summary>
    public IReadOnlyList<string> Names() =>
        Directory.EnumerateFiles(Folder, "*.cshtml").Select(Path.GetFileNameWithoutExtension).OfType<string>()
            .Concat(_current.Overrides.Keys).Distinct().Order(StringComparer.Ordinal).ToList();

    public EmailTemplate? Override(string name) => _current.Overrides.GetValueOrDefault(name);

    /// <summary>The source in use: the edited one if there is one, else the file.</summary>
    public string? Read(string name)
    {
        if (_current.Overrides.TryGetValue(name, out var edited)) return edited.Source;
        var path = Path.Combine(Folder, name + ".cshtml");
        return IsPlainName(name) && File.Exists(path) ? File.ReadAllText(path) : null;
    }

    public string? ReadFile(string name)
    {
        var path = Path.Combine(Folder, name + ".cshtml");
        return IsPlainName(name) && File.Exists(path) ? File.ReadAllText(path) : null;
    }

    public IChangeToken ChangeToken(string name) =>
        new CompositeChangeToken([new CancellationChangeToken(_current.Changed.Token), _files.Watch(name + ".cshtml")]);

    /// <summary>Looks at the database for edited templates: at most every two seconds, or at once when
    /// <paramref name="now"/> (after an edit in this process, so its very next dispatch and page use it).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken, bool now = false)
    {
        if (_scopes is null || (!now && DateTime.UtcNow - _checkedAt < RefreshEvery)) return;
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            if (!now && DateTime.UtcNow - _checkedAt < RefreshEvery) return;
            await using var scope = _scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DispatcherDb>();
            var stamp = string.Join("|", await db.EmailTemplates.AsNoTracking().OrderBy(t => t.Name)
                .Select(t => t.Name + "@" + t.UpdatedAt.Ticks).ToListAsync(cancellationToken));
            if (stamp != _current.Stamp)
            {
                var overrides = await db.EmailTemplates.AsNoTracking().ToDictionaryAsync(t => t.Name, cancellationToken);
                var previous = _current;
                _current = new Snapshot(overrides, stamp, new CancellationTokenSource());
                await previous.Changed.CancelAsync(); // compiled templates expire
            }
            _checkedAt = DateTime.UtcNow;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>Its file watcher holds an inotify instance (128 per user by default): give it back with the host.</summary>
    public void Dispose()
    {
        _files.Dispose();
        _refreshing.Dispose();
    }

    /// <summary>Template names are plain words: never a path out of the folder.</summary>
    public static bool IsPlainName(string name) =>
        name.Length is > 0 and <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_' || c == '-');
}
