namespace Dispatcher.Hosting;

/// <summary>Something in the settings or on the machine stops the start. Its message is one line that names the
/// setting or path at fault; Program prints it without a stack trace.</summary>
public sealed class StartupProblem(string message, Exception? inner = null) : Exception(message, inner);
