namespace Dispatcher.Access;

/// <summary>What a key or user may do. Admin: everything. Organiser: alerts and statements to its granted lists. Publisher: statements.</summary>
public enum Role
{
    Publisher = 0,
    Organiser = 1,
    Admin = 2,
}
