using System.Text;
using Dispatcher.Access;
using Dispatcher.Mail.Capture;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using MimeKit;

namespace Dispatcher.Admin.Mailbox;

[Authorize(Policy = Policies.Admin)]
public sealed class MailboxMessageModel(CapturedMessages messages) : AdminPage
{
    public CapturedMessage Captured { get; private set; } = null!;
    public MimeMessage Message { get; private set; } = null!;
    public string Source { get; private set; } = "";

    public IActionResult OnGet(long id)
    {
        if (messages.Find(id) is not { } captured) return NotFound();
        Captured = captured;
        Message = MimeMessage.Load(new MemoryStream(captured.Raw));
        Source = Encoding.UTF8.GetString(captured.Raw);
        return Page();
    }

    public IActionResult OnGetRaw(long id) =>
        messages.Find(id) is { } captured ? File(captured.Raw, "message/rfc822", $"message-{id}.eml") : NotFound();
}
