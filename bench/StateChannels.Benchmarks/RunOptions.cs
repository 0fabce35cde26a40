using System.Text.RegularExpressions;
using BenchmarkDotNet.Attributes;

namespace StateChannels.Benchmarks;

/// <summary>
/// Command line: <c>--quick</c> (in-process, short iterations: a few minutes on 2 cores) or
/// <c>--full</c> (the default: BenchmarkDotNet's own job, one process per benchmark, its own
/// iteration counts). <c>--filter GLOB</c> runs a subset and writes nothing to the committed
/// results. <c>--out DIR</c> writes the results under another repository root (default: the
/// one this project sits in).
/// </summary>
internal sealed record RunOptions(bool Quick, string? Filter, string RepositoryRoot)
{
    /// <summary><c>--no-e2e</c>: skip the end-to-end stage (the last bench/results/e2e.json is reported).</summary>
    public bool SkipEndToEnd { get; init; }

    /// <summary><c>--e2e-only</c>: run only the end-to-end stage and write bench/results/e2e.json (not latest.json nor the docs).</summary>
    public bool EndToEndOnly { get; init; }

    /// <summary><c>--e2e-backends managed,native</c>: the secp256k1 backends the end-to-end stage runs with (default both).</summary>
    public IReadOnlyList<string> EndToEndBackends { get; init; } = ["managed", "native"];

    /// <summary><c>--hub-channels N</c>: channels of the hub workload (default 1,000).</summary>
    public int HubChannels { get; init; } = 1000;

    /// <summary><c>--reopen-channels N</c>: channels in the store of the reopen figure (default 10,000).</summary>
    public int ReopenChannels { get; init; } = 10_000;

    /// <summary><c>--hub-gc server|workstation</c>: the hub process's GC (default server, as a server host runs).</summary>
    public bool HubServerGc { get; init; } = true;

    public string Mode => Quick ? "quick" : "full";

    public bool WritesResults => Filter is null;

    public static RunOptions? Parse(string[] args, TextWriter error)
    {
        bool quick = false;
        string? filter = null;
        string? root = null;
        bool skipE2e = false, e2eOnly = false;
        string[] backends = ["managed", "native"];
        int hubChannels = 1000, reopenChannels = 10_000;
        bool hubServerGc = true;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    quick = true;
                    break;
                case "--full":
                    quick = false;
                    break;
                case "--filter" when i + 1 < args.Length:
                    filter = args[++i];
                    break;
                case "--no-e2e":
                    skipE2e = true;
                    break;
                case "--e2e-only":
                    e2eOnly = true;
                    break;
                case "--e2e-backends" when i + 1 < args.Length:
                    backends = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--hub-channels" when i + 1 < args.Length:
                    hubChannels = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--reopen-channels" when i + 1 < args.Length:
                    reopenChannels = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case "--hub-gc" when i + 1 < args.Length && args[i + 1] is "server" or "workstation":
                    hubServerGc = args[++i] == "server";
                    break;
                case "--out" when i + 1 < args.Length:
                    root = Path.GetFullPath(args[++i]);
                    break;
                default:
                    error.WriteLine($"unknown argument '{args[i]}'. Usage: [--quick | --full] [--filter GLOB] [--no-e2e | --e2e-only] [--e2e-backends managed,native] [--hub-channels N] [--reopen-channels N] [--hub-gc server|workstation] [--out REPO_ROOT]");
                    return null;
            }
        }

        root ??= FindRepositoryRoot();
        if (root is null)
        {
            error.WriteLine("cannot find the repository root (a directory with StateChannels.sln); pass --out");
            return null;
        }

        return new RunOptions(quick, filter, root)
        {
            SkipEndToEnd = skipE2e,
            EndToEndOnly = e2eOnly,
            EndToEndBackends = backends,
            HubChannels = hubChannels,
            ReopenChannels = reopenChannels,
            HubServerGc = hubServerGc,
        };
    }

    /// <summary>Whether the glob matches a benchmark of <paramref name="type"/> (as <c>Namespace.Type.Method</c>, like BenchmarkDotNet's filter).</summary>
    public static bool Matches(string glob, Type type)
    {
        var regex = new Regex("^" + Regex.Escape(glob).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        return type.GetMethods().Any(m => m.IsDefined(typeof(BenchmarkAttribute), inherit: false) && regex.IsMatch($"{type.FullName}.{m.Name}"));
    }

    private static string? FindRepositoryRoot()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "StateChannels.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}
