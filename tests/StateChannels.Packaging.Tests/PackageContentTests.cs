using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using StateChannels.TestKit;

namespace StateChannels.Packaging.Tests;

/// <summary>What <c>dotnet pack</c> of each src project gives a NuGet user.</summary>
public sealed partial class PackageContentTests(PackFixture pack) : IClassFixture<PackFixture>
{
    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var project in PackFixture.SrcProjects())
        {
            data.Add(Path.GetFileNameWithoutExtension(project));
        }

        return data;
    }

    /// <summary>The version set once in Directory.Build.props.</summary>
    private static string ExpectedVersion()
    {
        var props = XDocument.Load(Path.Combine(RepoPaths.Root, "Directory.Build.props"));
        var prefix = props.Descendants("VersionPrefix").Single().Value;
        var suffix = props.Descendants("VersionSuffix").SingleOrDefault()?.Value;
        return string.IsNullOrEmpty(suffix) ? prefix : $"{prefix}-{suffix}";
    }

    private string PackageFile(string id, string extension)
    {
        var result = pack.Results[id];
        Assert.True(result.ExitCode == 0, $"dotnet pack {id} failed:\n{result.Output}");
        var path = Path.Combine(pack.Output, $"{id}.{ExpectedVersion()}.{extension}");
        Assert.True(File.Exists(path), $"{path} not produced; the folder has: {string.Join(", ", Directory.GetFiles(pack.Output).Select(Path.GetFileName))}");
        return path;
    }

    private static XElement Metadata(ZipArchive package, string id)
    {
        var entry = package.GetEntry($"{id}.nuspec") ?? throw new InvalidOperationException("no nuspec in the package");
        using var stream = entry.Open();
        var nuspec = XDocument.Load(stream);
        return nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    private static string? Child(XElement metadata, string name) =>
        metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

    [Theory]
    [MemberData(nameof(Ids))]
    public void Nupkg_Files_HasReadmeLicenseDllAndXmlDocs(string id)
    {
        using var package = ZipFile.OpenRead(PackageFile(id, "nupkg"));
        var names = package.Entries.Select(e => e.FullName).ToHashSet();

        Assert.Contains("README.md", names);
        Assert.Contains("LICENSE", names);
        Assert.Contains($"lib/net10.0/{id}.dll", names);
        Assert.Contains($"lib/net10.0/{id}.xml", names);

        using var license = new StreamReader(package.GetEntry("LICENSE")!.Open());
        Assert.StartsWith("MIT License", license.ReadToEnd(), StringComparison.Ordinal);

        using var readme = new StreamReader(package.GetEntry("README.md")!.Open());
        Assert.StartsWith($"# {id}", readme.ReadToEnd(), StringComparison.Ordinal);

        using var docs = package.GetEntry($"lib/net10.0/{id}.xml")!.Open();
        var members = XDocument.Load(docs).Descendants("member").Count();
        Assert.True(members > 0, $"{id}.xml documents no member");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Nuspec_Metadata_HasLicenseReadmeRepositoryTagsAndTheOneVersion(string id)
    {
        using var package = ZipFile.OpenRead(PackageFile(id, "nupkg"));
        var metadata = Metadata(package, id);

        Assert.Equal(ExpectedVersion(), Child(metadata, "version"));
        var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
        Assert.Equal("expression", license.Attribute("type")?.Value);
        Assert.Equal("MIT", license.Value);
        Assert.Equal("README.md", Child(metadata, "readme"));
        Assert.False(string.IsNullOrWhiteSpace(Child(metadata, "description")), "no description");
        Assert.Contains("ethereum", Child(metadata, "tags") ?? "", StringComparison.Ordinal);

        var repository = metadata.Elements().Single(e => e.Name.LocalName == "repository");
        Assert.Equal("git", repository.Attribute("type")?.Value);
        Assert.StartsWith("https://", repository.Attribute("url")?.Value, StringComparison.Ordinal);
        // Source link (built into the .NET SDK) records the commit the package was built from.
        Assert.Matches(CommitHash(), repository.Attribute("commit")?.Value ?? "");
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Snupkg_Files_HasThePortablePdb(string id)
    {
        using var symbols = ZipFile.OpenRead(PackageFile(id, "snupkg"));
        Assert.Contains($"lib/net10.0/{id}.pdb", symbols.Entries.Select(e => e.FullName));
    }

    [Fact]
    public void Pack_EverySrcProject_OnePackageEachAndNoOther()
    {
        Assert.NotEmpty(pack.Ids);
        foreach (var id in pack.Ids)
        {
            PackageFile(id, "nupkg");
        }

        var produced = Directory.GetFiles(pack.Output, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        var expected = pack.Ids.Select(id => $"{id}.{ExpectedVersion()}.nupkg").Order(StringComparer.Ordinal);
        Assert.Equal(expected, produced);
    }

    /// <summary>The contracts only the tests deploy (contracts/test/mocks); their bindings live in StateChannels.TestKit.</summary>
    private static readonly string[] TestTokens = ["TestToken", "PermitToken", "RevertingPermitToken"];

    [Theory]
    [MemberData(nameof(Ids))]
    public void Dll_Types_NoTestTokenBindings(string id)
    {
        using var package = ZipFile.OpenRead(PackageFile(id, "nupkg"));
        using var dll = new MemoryStream();
        using (var entry = package.GetEntry($"lib/net10.0/{id}.dll")!.Open())
        {
            entry.CopyTo(dll);
        }

        dll.Position = 0;
        using var pe = new PEReader(dll);
        var metadata = pe.GetMetadataReader();
        var types = metadata.TypeDefinitions
            .Select(h => metadata.GetTypeDefinition(h))
            .Select(t => $"{metadata.GetString(t.Namespace)}.{metadata.GetString(t.Name)}")
            .ToList();
        Assert.True(types.Count > 1, $"{id}.dll defines no type");

        // Segment match: a namespace or type named after a test token, or a type whose name starts with one (TestTokenAbi).
        var offending = types
            .Where(name => name.Split('.').Any(part => TestTokens.Any(token => part.StartsWith(token, StringComparison.Ordinal))))
            .ToList();
        Assert.True(offending.Count == 0, $"{id}.dll ships {offending.Count} test-token types, e.g. {string.Join(", ", offending.Take(5))}");
    }

    [GeneratedRegex("^[0-9a-f]{40}$")]
    private static partial Regex CommitHash();
}
