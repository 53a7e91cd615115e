using Dispatcher.Webhooks;

namespace Dispatcher.Tests.Webhooks;

/// <summary>Signatures as the Standard Webhooks specification makes them (its own example), secrets as it shapes them,
/// and retries that back off.</summary>
public sealed class WebhookSignatureTests
{
    [Fact]
    public void The_specifications_example_signs_the_same()
    {
        var signature = WebhookSignature.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
            """{"test": 2432232314}""");
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void A_secret_is_whsec_and_32_random_bytes()
    {
        var one = WebhookSignature.NewSecret();
        Assert.StartsWith("whsec_", one);
        Assert.Equal(32, Convert.FromBase64String(one["whsec_".Length..]).Length);
        Assert.NotEqual(one, WebhookSignature.NewSecret());
    }

    [Fact]
    public void Retries_double_within_a_fifth_either_way_up_to_the_cap()
    {
        var settings = new WebhookOptions { FirstRetryDelay = TimeSpan.FromSeconds(5), MaxRetryDelay = TimeSpan.FromHours(1) };
        for (var attempts = 1; attempts <= 20; attempts++)
        {
            var expected = Math.Min(5 * Math.Pow(2, attempts - 1), 3600);
            var delay = WebhookSender.Delay(attempts, settings).TotalSeconds;
            Assert.InRange(delay, expected * 0.8, expected * 1.2);
        }
    }
}
