using System.Globalization;

namespace Dispatcher.Hosting;

/// <summary>A page of a collection, newest first; pass <see cref="Next"/> as <c>after</c> for the following page (null at the end).</summary>
public sealed record Page<T>(IReadOnlyList<T> Items, string? Next);

/// <summary>Keyset paging by id: the cursor is the last id of the previous page, so pages stay stable while rows are added.</summary>
public readonly record struct PageRequest(long? After, int Limit)
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static PageRequest Parse(string? after, int? limit, ValidationErrors errors)
    {
        long? afterId = null;
        if (!string.IsNullOrEmpty(after))
        {
            if (long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0) afterId = id;
            else errors.Add("after", "'after' must be a cursor returned as 'next' by the previous page.");
        }
        if (limit is < 1 or > MaxLimit) errors.Add("limit", $"'limit' must be between 1 and {MaxLimit}.");
        return new PageRequest(afterId, limit ?? DefaultLimit);
    }

    /// <summary>Builds the page from up to Limit+1 rows fetched newest first.</summary>
    public Page<TOut> ToPage<TRow, TOut>(IReadOnlyList<TRow> rows, Func<TRow, long> id, Func<TRow, TOut> map)
    {
        var hasMore = rows.Count > Limit;
        var items = rows.Take(Limit).Select(map).ToList();
        var next = hasMore ? id(rows[Limit - 1]).ToString(CultureInfo.InvariantCulture) : null;
        return new Page<TOut>(items, next);
    }
}
