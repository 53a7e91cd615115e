using Dispatcher.Subscribers;

namespace Dispatcher.Tests.Subscribers;

public sealed class EmailAddressTests
{
    [Theory]
    [InlineData("  ana@example.org ", "ana@example.org")]
    [InlineData("Ana.Lopez@Example.ORG", "Ana.Lopez@example.org")]
    [InlineData("kim@bücher.example", "kim@xn--bcher-kva.example")]
    [InlineData("first.last+news@sub.example.co.uk", "first.last+news@sub.example.co.uk")]
    public void Good_addresses_are_normalised(string input, string expected)
    {
        Assert.True(EmailAddress.TryNormalise(input, out var normalised, out var error), error);
        Assert.Equal(expected, normalised);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ana")]
    [InlineData("ana@")]
    [InlineData("@example.org")]
    [InlineData("ana@localhost")]
    [InlineData("ana@example..org")]
    [InlineData("Ana <ana@example.org>")]
    [InlineData("ana@example.org, ben@example.org")]
    [InlineData("ana@example.org\r\nBcc: victim@example.org")]
    [InlineData("ana smith@example.org")]
    public void Bad_addresses_are_refused_with_a_reason(string? input)
    {
        Assert.False(EmailAddress.TryNormalise(input, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }
}
