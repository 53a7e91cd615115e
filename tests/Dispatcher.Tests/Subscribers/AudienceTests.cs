using Dispatcher.Data;
using Dispatcher.Hosting;
using Dispatcher.Subscribers;

namespace Dispatcher.Tests.Subscribers;

public sealed class AudienceTests
{
    [Fact]
    public void An_audience_is_kept_in_order_without_repeats_and_read_back_the_same()
    {
        var errors = new ValidationErrors();
        var audience = Audience.Check(new() { ["city"] = ["Seoul", " Busan ", "Seoul"], ["country"] = ["KR"] }, "audience", errors);

        Assert.False(errors.Any);
        Assert.Equal(["city", "country"], audience.Filters.Keys);
        Assert.Equal(["Seoul", "Busan"], audience.Filters["city"]);
        Assert.Equal("city is Seoul or Busan; country is KR", audience.ToString());
        Assert.Equal(audience.ToJson(), Audience.FromJson(audience.ToJson()).ToJson());
    }

    [Fact]
    public void No_audience_is_everyone_and_is_stored_as_nothing()
    {
        var audience = Audience.Check(null, "audience", new ValidationErrors());

        Assert.True(audience.IsEveryone);
        Assert.Null(audience.ToJson());
        Assert.True(Audience.FromJson(null).IsEveryone);
        Assert.Equal("", audience.Condition("p", postgres: true).Sql);
    }

    [Fact]
    public void Its_SQL_carries_every_name_and_value_as_a_parameter()
    {
        var audience = Audience.Check(new() { ["city"] = ["Seoul'; DROP TABLE subscribers; --", "Busan"] }, "audience", new ValidationErrors());

        var sqlite = audience.Condition("p", postgres: false);
        var postgres = audience.Condition("p", postgres: true);

        Assert.Equal(" AND json_extract(p.attributes, {0}) IN ({1}, {2})", sqlite.Sql);
        Assert.Equal(["$.\"city\"", "Seoul'; DROP TABLE subscribers; --", "Busan"], sqlite.Parameters);
        Assert.Equal(" AND (p.attributes::jsonb ->> {0}) IN ({1}, {2})", postgres.Sql);
        Assert.Equal("city", postgres.Parameters[0]);
    }

    [Fact]
    public void Pieces_put_together_number_their_parameters_in_order()
    {
        var inner = new SqlText().Append("a = ").Parameter(1).Append(" AND b = ").Parameter("two");
        var outer = new SqlText().Append("SELECT ").Parameter(0L).Append(" FROM (").Append(inner).Append(") WHERE c = ").Parameter(true);

        Assert.Equal("SELECT {0} FROM (a = {1} AND b = {2}) WHERE c = {3}", outer.Sql);
        Assert.Equal([0L, 1, "two", true], outer.Parameters);
        Assert.Throws<ArgumentException>(() => new SqlText().Append("x = '{0}'"));
    }
}
