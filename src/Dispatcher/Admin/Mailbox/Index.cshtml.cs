using Dispatcher.Access;
using Dispatcher.Mail;
using Dispatcher.Mail.Capture;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Dispatcher.Admin.Mailbox;

[Authorize(Policy = Policies.Admin)]
public sealed class MailboxModel(CapturedMessages messages, IOptions<MailboxOptions> options, IServiceProvider services) : AdminPage
{
    public List<CapturedMessage> Items { get; private set; } = [];
    public int Capacity => options.Value.Capacity;

    public IActionResult OnGet()
    {
        if (services.GetService<CaptureMailbox>() is null) return NotFound();
        Items = messages.Newest(200).ToList();
        return Page();
    }
}
