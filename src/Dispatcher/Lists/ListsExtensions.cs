namespace Dispatcher.Lists;

public static class ListsExtensions
{
    /// <summary>Lists: the one service the API and the admin pages change them through.</summary>
    public static WebApplicationBuilder AddLists(this WebApplicationBuilder builder)
    {
        builder.Services.AddScoped<ListService>();
        return builder;
    }
}
