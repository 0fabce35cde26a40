namespace StateChannels.TestKit;

/// <summary>Locates the repository and the npm-installed tools (anvil, forge, node scripts).</summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>The repository root (the folder holding StateChannels.sln).</summary>
    public static string Root => RootLazy.Value;

    /// <summary>contracts/ in the repository.</summary>
    public static string Contracts => Path.Combine(Root, "contracts");

    /// <summary>The anvil binary shipped inside the @foundry-rs/anvil npm package.</summary>
    public static string Anvil => Tool("anvil");

    /// <summary>The forge binary shipped inside the @foundry-rs/forge npm package.</summary>
    public static string Forge => Tool("forge");

    private static string Tool(string name)
    {
        var path = Path.Combine(Contracts, "node_modules", "@foundry-rs", $"{name}-linux-amd64", "bin", name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{name} not found at {path}. Building the tests runs 'npm ci' in contracts/; run 'dotnet build' first.", path);
        }

        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StateChannels.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("StateChannels.sln not found above " + AppContext.BaseDirectory);
    }
}
