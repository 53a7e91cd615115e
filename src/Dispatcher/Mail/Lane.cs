namespace Dispatcher.Mail;

/// <summary>Which queue, consumers and SMTP connections mail travels on: the urgent lane (alerts, confirmations) has
/// connections of its own and goes ahead of the bulk lane (statements, digests).</summary>
public enum Lane
{
    Bulk = 0,
    Urgent = 1,
}
