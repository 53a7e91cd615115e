using Dispatcher.Data;
using Npgsql;

namespace Dispatcher.Tests.Data;

public class AutoPrepareTests
{
    [Fact]
    public void A_connection_string_without_it_gets_auto_prepare()
    {
        var result = new NpgsqlConnectionStringBuilder(DataExtensions.WithAutoPrepare("Host=db;Username=app;Password=x;Database=dispatcher"));

        Assert.Equal(DataExtensions.AutoPrepared, result.MaxAutoPrepare);
        Assert.Equal("db", result.Host);
        Assert.Equal("x", result.Password);
        Assert.Equal("dispatcher", result.Database);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0", 0)]
    [InlineData("Host=db;maxautoprepare=7", 7)]
    [InlineData("Host=db;MAX AUTO PREPARE = 12", 12)]
    public void A_connection_string_that_sets_it_keeps_its_own_value(string connectionString, int expected)
    {
        Assert.Equal(expected, new NpgsqlConnectionStringBuilder(DataExtensions.WithAutoPrepare(connectionString)).MaxAutoPrepare);
    }
}
