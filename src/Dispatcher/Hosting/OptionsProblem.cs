using Microsoft.Extensions.Options;

namespace Dispatcher.Hosting;

/// <summary>Stops the start with a message the options work out themselves, naming the key at fault (a fixed
/// Validate message cannot say which entry of a list is wrong).</summary>
public sealed class OptionsProblem<TOptions>(Func<TOptions, string?> problem) : IValidateOptions<TOptions> where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options) =>
        problem(options) is { } message ? ValidateOptionsResult.Fail(message) : ValidateOptionsResult.Success;
}
