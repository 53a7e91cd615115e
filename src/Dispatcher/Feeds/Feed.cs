namespace Dispatcher.Feeds;

/// <summary>The website's RSS or Atom feed as a source of statements, polled every PollMinutes.</summary>
public sealed class Feed
{
    public int Id { get; set; }
    public required string Url { get; set; }
    public int PollMinutes { get; set; } = 15;

    /// <summary>New items go out at once to "immediate" subscribers (and into digests), or only into digests.</summary>
    public bool SendImmediately { get; set; } = true;

    public List<FeedList> Lists { get; set; } = [];

    /// <summary>The language of its items (BCP 47); null: Dispatcher:DefaultLanguage.</summary>
    public string? Language { get; set; }

    /// <summary>The feed this one is a translation of: its items become translations of that feed's statements (the
    /// same guid, or a link in common — Atom's <c>rel="alternate" hreflang</c>), fetched whenever that feed is polled,
    /// never statements of their own. Null: a feed of its own statements.</summary>
    public int? TranslatesFeedId { get; set; }

    /// <summary>Validators of the last response, for a conditional GET.</summary>
    public string? ETag { get; set; }

    public string? LastModified { get; set; }

    public DateTime CreatedAt { get; set; }
    public DateTime? LastPolledAt { get; set; }
    public DateTime? LastSuccessAt { get; set; }

    /// <summary>Also the lease of the worker polling it: set ahead before a poll starts, so two workers never poll it at once.</summary>
    public DateTime NextPollAt { get; set; }

    public string? LastError { get; set; }
    public int ConsecutiveFailures { get; set; }
}

public sealed class FeedList
{
    public int FeedId { get; set; }
    public int ListId { get; set; }
}
