using System.Text;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;
using RazorLight.Razor;

namespace Dispatcher.Mail.Templates;

/// <summary>RazorLight's view of the templates: by name, from a <see cref="TemplateSource"/>, or with one template
/// replaced by a candidate (to check an edit compiles before it is saved).</summary>
public sealed class TemplateProject(TemplateSource source, string? candidateName = null, string? candidateSource = null) : RazorLightProject
{
    public override Task<RazorLightProjectItem> GetItemAsync(string templateKey)
    {
        var name = Path.GetFileNameWithoutExtension(templateKey.TrimStart('/', '\\'));
        var content = name == candidateName ? candidateSource : source.Read(name);
        return Task.FromResult<RazorLightProjectItem>(new Item(name, content, candidateName is null ? source.ChangeToken(name) : NullChangeToken.Singleton));
    }

    public override Task<IEnumerable<RazorLightProjectItem>> GetImportsAsync(string templateKey) =>
        Task.FromResult(Enumerable.Empty<RazorLightProjectItem>());

    private sealed class Item : RazorLightProjectItem
    {
        private readonly string _key;
        private readonly string? _content;

        public Item(string key, string? content, IChangeToken token)
        {
            _key = key;
            _content = content;
            ExpirationToken = token; // RazorLight drops the compiled template when this fires
        }

        public override string Key => _key;
        public override bool Exists => _content is not null;
        public override Stream Read() => new MemoryStream(Encoding.UTF8.GetBytes(_content ?? ""));
    }
}
