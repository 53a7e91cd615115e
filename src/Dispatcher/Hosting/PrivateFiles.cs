namespace Dispatcher.Hosting;

/// <summary>Files that hold secrets (the SQLite database with its keys and password hashes, key files) are created
/// readable by this user only, in folders only this user can enter: created that way, never widened and then narrowed,
/// so no other local user can open them in between.</summary>
public static class PrivateFiles
{
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                                              | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates the folder (and any missing parent) as 0700; an existing folder is left as it is.</summary>
    public static void CreateFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
        else Directory.CreateDirectory(folder, FolderMode);
    }

    /// <summary>Creates an empty file as 0600 unless it exists (an empty file is a valid SQLite database, and SQLite
    /// gives its -wal and -shm files the database file's mode).</summary>
    public static void CreateEmptyFile(string path)
    {
        try
        {
            using var _ = new FileStream(path, Options(System.IO.FileMode.CreateNew));
        }
        catch (IOException) when (File.Exists(path))
        {
            // There already (or another process made it just now).
        }
    }

    /// <summary>Writes a new file, 0600 from the moment it exists; never over an existing one.</summary>
    public static void WriteNew(string path, string text)
    {
        using var stream = new FileStream(path, Options(System.IO.FileMode.CreateNew));
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    /// <summary>Takes group and other access away from an existing file of ours (one an older version, or a restore,
    /// left readable). Returns whether it changed anything.</summary>
    public static bool Tighten(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path)) return false;
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) == 0) return false;
        File.SetUnixFileMode(path, mode & ~GroupOrOther);
        return true;
    }

    /// <summary>Whether other users may enter or list the folder.</summary>
    public static bool IsOpenToOthers(string folder) =>
        !OperatingSystem.IsWindows() && Directory.Exists(folder) && (File.GetUnixFileMode(folder) & GroupOrOther) != 0;

    private static FileStreamOptions Options(System.IO.FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.ReadWrite };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = FileMode;
        return options;
    }
}
