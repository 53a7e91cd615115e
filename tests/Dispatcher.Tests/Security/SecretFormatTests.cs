using System.Security.Cryptography;
using System.Xml.Linq;
using Dispatcher.Access;
using Dispatcher.Hosting;
using Dispatcher.Subscribers;
using Dispatcher.Mail;

namespace Dispatcher.Tests.Security;

public sealed class SecretFormatTests
{
    [Fact]
    public void A_signing_key_is_32_random_bytes_in_base64_or_base64url()
    {
        var bytes = RandomNumberGenerator.GetBytes(32);
        Assert.True(SigningKeys.TryDecode(Convert.ToBase64String(bytes), out var standard));
        Assert.Equal(bytes, standard);
        Assert.True(SigningKeys.TryDecode(System.Buffers.Text.Base64Url.EncodeToString(bytes), out var url));
        Assert.Equal(bytes, url);

        Assert.False(SigningKeys.TryDecode("correct horse battery staple", out _)); // a passphrase
        Assert.False(SigningKeys.TryDecode(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), out _)); // too short
        Assert.False(SigningKeys.TryDecode(Convert.ToBase64String(new byte[32]), out _)); // not random
    }

    [Fact]
    public void Tokens_signed_with_a_previous_key_verify_and_new_ones_are_signed_with_the_current_key()
    {
        var (old, current) = (RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32));
        var before = new SigningKey();
        before.Set(old);
        var after = new SigningKey();
        after.Set(current, [old]);
        var forgot = new SigningKey();
        forgot.Set(current);
        var clock = TimeProvider.System;

        var sentBefore = new SubscriberTokens(before, clock).Create(TokenPurpose.Unsubscribe, 42, 7);
        var sentAfter = new SubscriberTokens(after, clock).Create(TokenPurpose.Unsubscribe, 42, 7);

        Assert.True(new SubscriberTokens(after, clock).TryRead(sentBefore, TokenPurpose.Unsubscribe, out _));
        Assert.False(new SubscriberTokens(forgot, clock).TryRead(sentBefore, TokenPurpose.Unsubscribe, out _));
        Assert.False(new SubscriberTokens(before, clock).TryRead(sentAfter, TokenPurpose.Unsubscribe, out _)); // signed with the new key
    }

    [Fact]
    public void The_key_ring_is_encrypted_and_only_the_same_key_decrypts_it()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var key = new KeyEncryptionKey(secret);
        var plain = new XElement("masterKey", new XElement("value", "c2VjcmV0LWtleS1tYXRlcmlhbA=="));

        var encrypted = new AesGcmXmlEncryptor(key).Encrypt(plain);
        var text = encrypted.EncryptedElement.ToString();
        Assert.DoesNotContain("c2VjcmV0LWtleS1tYXRlcmlhbA==", text);
        Assert.Equal(typeof(AesGcmXmlDecryptor), encrypted.DecryptorType);

        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        var right = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(services, key));
        Assert.Equal(plain.ToString(), new AesGcmXmlDecryptor(right).Decrypt(encrypted.EncryptedElement).ToString());

        var other = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        var wrong = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(
            Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton(other, new KeyEncryptionKey(RandomNumberGenerator.GetBytes(32))));
        Assert.ThrowsAny<CryptographicException>(() => new AesGcmXmlDecryptor(wrong).Decrypt(encrypted.EncryptedElement));
    }

    [Theory]
    [InlineData("Bounce\r\nFAKE log line", "Bounce  FAKE log line")]
    [InlineData("evil\u202Eexe.txt", "evil exe.txt")]   // a right-to-left override
    [InlineData(null, "")]
    public void Text_from_outside_is_safe_to_log(string? text, string logged) => Assert.Equal(logged, LogText.Safe(text));

    [Fact]
    public void Long_text_is_clipped_for_the_log() => Assert.Equal(new string('x', 100) + "…", LogText.Safe(new string('x', 500)));
}
