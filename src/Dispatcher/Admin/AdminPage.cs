using Dispatcher.Access;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Mvc.ViewFeatures;

namespace Dispatcher.Admin;

/// <summary>What every admin page shares: who is looking (the same Caller the API uses), a one-line message carried
/// over a redirect, and a 403 for a list the person is not granted.</summary>
public abstract class AdminPage : PageModel
{
    public Caller Caller => Caller.From(User);

    [TempData] public string? Flash { get; set; }
    [TempData] public string? FlashError { get; set; }

    protected IActionResult Forbidden() => StatusCode(StatusCodes.Status403Forbidden);

    /// <summary>A message for the page rendered by this same request (no redirect).</summary>
    protected void Notice(string message) => ViewData["Notice"] = message;

    /// <summary>Back to this page (PRG), with a message.</summary>
    protected IActionResult Done(string message, object? routeValues = null)
    {
        Flash = message;
        return RedirectToPage(routeValues);
    }

    protected IActionResult Failed(string message, object? routeValues = null)
    {
        FlashError = message;
        return RedirectToPage(routeValues);
    }

    /// <summary>A minimal-API result (server-sent events, say) answered from a page handler.</summary>
    protected static IActionResult Answer(IResult result) => new ResultAction(result);

    private sealed class ResultAction(IResult result) : IActionResult
    {
        public Task ExecuteResultAsync(ActionContext context) => result.ExecuteAsync(context.HttpContext);
    }
}
