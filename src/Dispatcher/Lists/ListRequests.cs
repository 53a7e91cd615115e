using System.Text.RegularExpressions;
using Dispatcher.Hosting;

namespace Dispatcher.Lists;

public sealed partial record CreateListRequest(string? Name, string? Slug, string? Description, bool? Public, bool? DoubleOptIn, bool? RequireApproval)
{
    public ValidationErrors Validate()
    {
        var errors = new ValidationErrors();
        errors.Text("name", Name, 200, required: true);
        errors.Text("description", Description, 2000);
        var slug = errors.Text("slug", Slug, 64, required: true);
        if (slug is not null && !SlugPattern().IsMatch(slug))
            errors.Add("slug", "'slug' may hold lower-case letters, digits and hyphens, starting with a letter or digit.");
        return errors;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    internal static partial Regex SlugPattern();
}

public sealed record UpdateListRequest(string? Name, string? Description, bool? Public, bool? DoubleOptIn, bool? RequireApproval)
{
    public ValidationErrors Validate()
    {
        var errors = new ValidationErrors();
        if (Name is not null) errors.Text("name", Name, 200, required: true);
        if (Description is not null) errors.Text("description", Description, 2000);
        return errors;
    }
}

public sealed record SubscriberCounts(int Confirmed, int Unconfirmed, int Unsubscribed);

public sealed record ListResponse(
    string Slug, string Name, string? Description, bool Public, bool DoubleOptIn, bool RequireApproval,
    SubscriberCounts Subscribers, DateTime CreatedAt)
{
    public static ListResponse From(MailingList list, SubscriberCounts counts) =>
        new(list.Slug, list.Name, list.Description, list.Public, list.DoubleOptIn, list.RequireApproval, counts, list.CreatedAt);
}
