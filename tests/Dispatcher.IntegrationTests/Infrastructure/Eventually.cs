namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>Polls for an outcome instead of sleeping for it: returns as soon as it holds, fails with a message after the timeout.</summary>
public static class Eventually
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> holds, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        var delay = TimeSpan.FromMilliseconds(20);
        while (true)
        {
            var value = await probe();
            if (holds(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0}s waiting for {what}. Last value: {value}");
            await Task.Delay(delay);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 1.5, 250));
        }
    }

    public static Task UntilAsync(Func<bool> holds, TimeSpan timeout, string what) =>
        UntilAsync(() => Task.FromResult(holds()), h => h, timeout, what);
}
