using System.ComponentModel.DataAnnotations;

namespace Dispatcher.Alerts;

/// <summary>The "Alerts" section.</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>Test copies one key or user may send per hour to addresses other than their own login's: a test send
    /// goes to any address, so without a limit a stolen organiser login could mail anyone in the organisation's name.</summary>
    [Range(0, 10_000)] public int TestSendsPerHour { get; set; } = 10;
}
