using Dispatcher.Hosting;

namespace Dispatcher.Subscribers;

/// <summary>A named audience to use again ("seoul-unions": country KR, city Seoul, union KCTU). An alert given one takes
/// a copy of its audience when it is saved: changing the segment later does not change an alert already written.</summary>
public sealed class Segment
{
    public int Id { get; set; }
    public required string Slug { get; set; }
    public required string Name { get; set; }

    /// <summary><see cref="Audience"/> as stored; never empty (a segment of everyone is no segment).</summary>
    public required string AudienceJson { get; set; }

    public Audience Audience => Audience.FromJson(AudienceJson);

    public required string CreatedBy { get; set; }
    public DateTime CreatedAt { get; set; }
}

public sealed record SegmentRequest(string? Name, string? Slug, Dictionary<string, List<string?>?>? Audience)
{
    public ValidationErrors Validate(out Audience audience)
    {
        var errors = new ValidationErrors();
        errors.Text("name", Name, 200, required: true);
        Lists.CreateListRequest.CheckSlug(Slug, errors);
        if (Audience is null || Audience.Count == 0) errors.Add("audience", "A segment names at least one attribute and its values.");
        audience = Subscribers.Audience.Check(Audience, "audience", errors);
        return errors;
    }
}

public sealed record SegmentResponse(string Slug, string Name, IReadOnlyDictionary<string, IReadOnlyList<string>> Audience, string CreatedBy,
    DateTime CreatedAt)
{
    public static SegmentResponse From(Segment s) => new(s.Slug, s.Name, s.Audience.Filters, s.CreatedBy, s.CreatedAt);
}

/// <summary>Saved audiences, found by slug for a send that names one.</summary>
public static class Segments
{
    public static Task<Segment?> FindAsync(Data.DispatcherDb db, string slug, CancellationToken cancellationToken) =>
        Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.SingleOrDefaultAsync(
            Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AsNoTracking(db.Segments), s => s.Slug == slug, cancellationToken);
}
