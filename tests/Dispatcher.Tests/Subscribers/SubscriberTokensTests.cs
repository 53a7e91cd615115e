using System.Security.Cryptography;
using Dispatcher.Subscribers;
using Dispatcher.Mail;

namespace Dispatcher.Tests.Subscribers;

public sealed class SubscriberTokensTests
{
    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static SubscriberTokens Tokens(out Clock clock, byte[]? key = null)
    {
        var signingKey = new SigningKey();
        signingKey.Set(key ?? Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        clock = new Clock(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));
        return new SubscriberTokens(signingKey, clock);
    }

    [Fact]
    public void A_token_reads_back_as_what_it_was_made_for()
    {
        var tokens = Tokens(out _);
        var text = tokens.Create(TokenPurpose.Unsubscribe, 123456789012, 42);

        Assert.True(tokens.TryRead(text, TokenPurpose.Unsubscribe, out var token));
        Assert.Equal(new SubscriberToken(TokenPurpose.Unsubscribe, 123456789012, 42), token);
        Assert.Matches("^[A-Za-z0-9_-]+$", text); // safe in a URL path without escaping
    }

    [Fact]
    public void Every_changed_character_is_refused()
    {
        var tokens = Tokens(out _);
        var text = tokens.Create(TokenPurpose.Unsubscribe, 7, 3);
        for (var i = 0; i < text.Length; i++)
        {
            var replacement = text[i] == 'A' ? 'B' : 'A';
            var tampered = text[..i] + replacement + text[(i + 1)..];
            Assert.False(tokens.TryRead(tampered, TokenPurpose.Unsubscribe, out _), $"position {i}");
        }
    }

    [Fact]
    public void A_token_for_one_purpose_does_not_work_for_another()
    {
        var tokens = Tokens(out _);
        var preferences = tokens.Create(TokenPurpose.Preferences, 7);

        Assert.False(tokens.TryRead(preferences, TokenPurpose.Unsubscribe, out _));
        Assert.True(tokens.TryRead(preferences, TokenPurpose.Preferences, out _));
    }

    [Fact]
    public void A_token_signed_with_another_key_is_refused()
    {
        var ours = Tokens(out _);
        var theirs = Tokens(out _, RandomNumberGenerator.GetBytes(32));

        Assert.False(ours.TryRead(theirs.Create(TokenPurpose.Unsubscribe, 7, 3), TokenPurpose.Unsubscribe, out _));
    }

    [Fact]
    public void An_expiring_token_works_until_it_expires()
    {
        var tokens = Tokens(out var clock);
        var text = tokens.Create(TokenPurpose.Confirm, 7, 3, clock.Now.AddDays(7));

        clock.Now = clock.Now.AddDays(6);
        Assert.True(tokens.TryRead(text, TokenPurpose.Confirm, out _));
        clock.Now = clock.Now.AddDays(2);
        Assert.False(tokens.TryRead(text, TokenPurpose.Confirm, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("%%%%")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Garbage_is_refused_without_throwing(string text)
    {
        Assert.False(Tokens(out _).TryRead(text, TokenPurpose.Unsubscribe, out _));
    }
}
