namespace Dispatcher.Subscribers;

/// <summary>A person, identified by a normalised email address. They have no account: signed links are their identity.</summary>
public sealed class Subscriber
{
    public long Id { get; set; }
    public required string Email { get; set; }
    public string? Name { get; set; }
    public DateTime CreatedAt { get; set; }

    public List<Subscription> Subscriptions { get; set; } = [];
}
