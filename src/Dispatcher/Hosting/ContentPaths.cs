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

    /// <summary>A file we create (the SQLite database): under the working directory when its folder can be made there,
    /// else the application's folder. The folder is created 0700 when missing (see <see cref="PrivateFiles"/>).</summary>
    /// <exception cref="StartupProblem">A rooted path whose folder cannot be created.</exception>
    public static string ResolveWritable(string path, string setting)
    {
        if (Path.IsPathRooted(path))
        {
            if (!TryCreateFolderFor(path, out var problem))
                throw new StartupProblem($"{setting}: the folder of {path} cannot be created ({problem}).");
            return path;
        }
        var fromWorkingDirectory = Path.GetFullPath(path);
        if (TryCreateFolderFor(fromWorkingDirectory, out _)) return fromWorkingDirectory;
        var fromApp = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, path));
        if (!TryCreateFolderFor(fromApp, out var appProblem))
            throw new StartupProblem($"{setting}: the folder of {path} can be created neither in the working directory nor in {AppContext.BaseDirectory} ({appProblem}).");
        return fromApp;
    }

    private static bool TryCreateFolderFor(string file, out string? problem)
    {
        problem = null;
        try
        {
            var folder = Path.GetDirectoryName(file);
            if (!string.IsNullOrEmpty(folder)) PrivateFiles.CreateFolder(folder);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e is UnauthorizedAccessException ? "permission denied" : e.Message;
            return false;
        }
    }
}
