namespace Dispatcher.Data;

/// <summary>Installation-wide values that every process must share (the token signing key).</summary>
public sealed class Setting
{
    public required string Key { get; set; }
    public required string Value { get; set; }
}
