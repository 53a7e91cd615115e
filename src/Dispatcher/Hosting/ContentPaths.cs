namespace Dispatcher.Hosting;

/// <summary>Relative paths (data/, templates/) resolve against the working directory — the repository root for the
/// README's command — falling back to the application's folder.</summary>
public static class ContentPaths
{
    /// <summary>A folder that must exist to be useful (templates): the working directory's, else the application's.</summary>
    public static string ResolveExisting(string path)
    {
        if (Path.IsPathRooted(path)) return path;
        var fromWorkingDirectory = Path.GetFullPath(path);
        if (Directory.Exists(fromWorkingDirectory) || File.Exists(fromWorkingDirectory)) return fromWorkingDirectory;
        return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, path));
    }

    /// <summary>A file we create (the SQLite database): under the working directory when it can be written, else the application's folder.</summary>
    public static string ResolveWritable(string path)
    {
        if (Path.IsPathRooted(path)) return path;
        var fromWorkingDirectory = Path.GetFullPath(path);
        if (TryCreateDirectoryFor(fromWorkingDirectory)) return fromWorkingDirectory;
        var fromApp = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, path));
        TryCreateDirectoryFor(fromApp);
        return fromApp;
    }

    private static bool TryCreateDirectoryFor(string file)
    {
        try
        {
            var folder = Path.GetDirectoryName(file);
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
