using Dispatcher.Hosting;
using Dispatcher.Subscribers;

namespace Dispatcher.Tests.Subscribers;

/// <summary>Who is in an audience, as a digest decides it per person (the SQL condition says the same: see the
/// integration tests): every key must match, any of its values, exactly as stored.</summary>
public sealed class AudienceTests
{
    private static Audience Of(Dictionary<string, List<string?>?> input)
    {
        var errors = new ValidationErrors();
        var audience = Audience.Check(input, "audience", errors);
        Assert.False(errors.Any);
        return audience;
    }

    [Theory]
    [InlineData("KR", "Seoul", true)]
    [InlineData("KR", "Busan", true)]
    [InlineData("KR", "Daegu", false)] // a city not named
    [InlineData("TR", "Seoul", false)] // every key must match
    [InlineData("kr", "Seoul", false)] // as stored, case included
    public void Every_key_must_match_and_any_of_its_values(string country, string city, bool inIt)
    {
        var audience = Of(new() { ["country"] = ["KR"], ["city"] = ["Seoul", "Busan"] });
        Assert.Equal(inIt, audience.Matches(new Dictionary<string, string> { ["country"] = country, ["city"] = city }));
    }

    [Fact]
    public void Someone_without_the_attribute_is_not_in_it_and_everyone_is_in_no_audience()
    {
        Assert.False(Of(new() { ["union"] = ["KCTU"] }).Matches(new Dictionary<string, string> { ["country"] = "KR" }));
        Assert.True(Audience.Everyone.Matches(new Dictionary<string, string>()));
    }
}
