using Dispatcher.Hosting;

namespace Dispatcher.Tests.Hosting;

public sealed class UnhandledExceptionHandlerTests
{
    [Theory]
    [InlineData("$.title", "title")]
    [InlineData("$.lists[0]", "lists[0]")]
    [InlineData("$", "body")]
    [InlineData(null, "body")]
    public void Json_paths_become_field_names(string? path, string field)
    {
        Assert.Equal(field, UnhandledExceptionHandler.FieldOf(path));
    }
}
