using System.Reflection;
using System.Xml.Linq;
using StateChannels.TestKit;

namespace StateChannels.Packaging.Tests;

/// <summary>Runs <c>dotnet pack</c> once for every project under src/ into a temp folder.</summary>
public sealed class PackFixture : IAsyncLifetime
{
    private static readonly TimeSpan PackLimit = TimeSpan.FromMinutes(5);

    /// <summary>The folder the packages are written to.</summary>
    public string Output { get; } = Directory.CreateTempSubdirectory("statechannels-pack-").FullName;

    /// <summary>The package ids, one per src project (its file name).</summary>
    public IReadOnlyList<string> Ids { get; } = SrcProjects().Select(Path.GetFileNameWithoutExtension).ToList()!;

    /// <summary>What each <c>dotnet pack</c> printed, for failure messages.</summary>
    public Dictionary<string, ProcessResult> Results { get; } = [];

    /// <summary>
    /// Every csproj under src/ that ships: Directory.Build.props makes src projects packable, so
    /// only one that says <c>&lt;IsPackable&gt;false&lt;/IsPackable&gt;</c> itself (a host executable) does not.
    /// </summary>
    public static IEnumerable<string> SrcProjects() =>
        Directory.GetDirectories(Path.Combine(RepoPaths.Root, "src"))
            .SelectMany(d => Directory.GetFiles(d, "*.csproj"))
            .Where(p => !XDocument.Load(p).Descendants("IsPackable").Any(e => e.Value.Trim().Equals("false", StringComparison.OrdinalIgnoreCase)))
            .OrderBy(p => p, StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        // The build this test run made (this assembly's configuration) is packed as it is:
        // --no-build packs exactly the DLL and XML docs the tests ran against, and costs no compile.
        var configuration = typeof(PackFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        foreach (var project in SrcProjects())
        {
            var result = await ProcessRunner.RunAsync(
                "dotnet",
                ["pack", project, "--no-build", "--no-restore", "-c", configuration, "-o", Output, "-nologo"],
                RepoPaths.Root,
                PackLimit);
            Results[Path.GetFileNameWithoutExtension(project)] = result;
        }
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Output, recursive: true);
        return Task.CompletedTask;
    }
}
