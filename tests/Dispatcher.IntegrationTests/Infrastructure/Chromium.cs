using Microsoft.Playwright;

namespace Dispatcher.IntegrationTests.Infrastructure;

/// <summary>Debian's Chromium driven by Playwright (never a downloaded browser), started once per test class.
/// Screenshots go to the test output folder, under screenshots/.</summary>
public sealed class Chromium : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "screenshots");

    public async Task InitializeAsync()
    {
        var executable = Environment.GetEnvironmentVariable("DISPATCHER_TEST_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(executable))
            throw new InvalidOperationException($"Chromium is not at {executable}: run the tests through tests/run.sh, which installs Debian's chromium.");
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // As root in a container Chromium needs --no-sandbox; the rest keeps it off a network it cannot reach.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
        Directory.CreateDirectory(ScreenshotFolder);
    }

    /// <param name="locale">The browser's language (its Accept-Language), e.g. "tr-TR"; null: Chromium's own.</param>
    /// <param name="timeZone">The browser's time zone (IANA), e.g. "Europe/Istanbul"; null: the machine's.</param>
    public async Task<IPage> NewPageAsync(Uri baseAddress, string? locale = null, string? timeZone = null)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(), ViewportSize = new() { Width = 1100, Height = 900 }, Locale = locale, TimezoneId = timeZone,
        });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        // Any dialog (alert, confirm) fails the test that did not expect it: that would be injected script running.
        page.Dialog += (_, dialog) => throw new InvalidOperationException($"Unexpected dialog: {dialog.Message}");
        return page;
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, $"{name}.png"), FullPage = true });

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }
}
