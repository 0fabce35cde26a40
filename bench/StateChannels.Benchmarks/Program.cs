using System.Text.Json.Nodes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using BenchmarkDotNet.Validators;
using Perfolizer.Horology;
using StateChannels.Benchmarks;
using StateChannels.Benchmarks.EndToEnd;
using StateChannels.Benchmarks.Micro;
using StateChannels.Benchmarks.Report;
using StateChannels.Samples;

if (args.Length > 0 && args[0] == HubProcess.Flag)
{
    // The end-to-end stage's second process (the hub): see EndToEnd/HubProcess.cs.
    return await HubProcess.RunAsync(args);
}

if (RunOptions.Parse(args, Console.Error) is not { } options)
{
    return 2;
}

if (options.EndToEndOnly)
{
    if (!await RunEndToEndAsync(options))
    {
        return 1;
    }

    Console.WriteLine("--e2e-only: bench/results/e2e.json written; latest.json and docs/benchmarks.md are refreshed by the next full run");
    return 0;
}

NativeSecp256k1? native = NativeSecp256k1.TryLoad(out string nativeStatus);
nativeStatus = nativeStatus.Replace(options.RepositoryRoot + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal);
Console.WriteLine($"native libsecp256k1: {nativeStatus}");
SelfCheck.Run(native);
native?.Dispose();
Console.WriteLine("self-check: managed, native and Nethereum signatures are byte-identical");

Type[] benchmarks =
[
    typeof(SignatureBenchmarks),
    typeof(DiskFloorBenchmarks),
    typeof(LoopbackBenchmarks),
    typeof(HashingBenchmarks),
    typeof(CodecBenchmarks),
    typeof(StoreBenchmarks),
];

Job job = options.Quick
    ? Job.Default.WithId("quick").WithToolchain(InProcessEmitToolchain.Instance)
        .WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(10).WithIterationTime(TimeInterval.FromMilliseconds(250))
    : Job.Default.WithId("full");

ManualConfig config = ManualConfig.CreateEmpty()
    .AddJob(job)
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumnProvider(DefaultColumnProviders.Instance)
    .AddLogger(ConsoleLogger.Default)
    .AddExporter(MarkdownExporter.GitHub)
    .AddValidator(JitOptimizationsValidator.FailOnError)
    .WithArtifactsPath(Path.Combine(options.RepositoryRoot, "bench", "BenchmarkDotNet.Artifacts"));
if (options.Filter is { } filter)
{
    config.AddFilter(new GlobFilter([filter]));

    // BenchmarkDotNet refuses a whole run in which one class has nothing left to run.
    benchmarks = [.. benchmarks.Where(t => RunOptions.Matches(filter, t))];
}

Summary[] summaries = BenchmarkRunner.Run(benchmarks, config);
if (!options.WritesResults)
{
    Console.WriteLine("--filter given: bench/results/latest.json and docs/benchmarks.md left as they were");
    return 0;
}

if (!options.SkipEndToEnd && !await RunEndToEndAsync(options))
{
    return 1;
}

Results results = Results.From(summaries);
var report = new RunReport(
    options,
    DateTimeOffset.UtcNow,
    MachineInfo.Collect(),
    nativeStatus,
    results,
    RunReport.ComputeFloor(results),
    EndToEnd.Load(options.RepositoryRoot),
    GasTable.Load(options.RepositoryRoot));

string resultsDir = Path.Combine(options.RepositoryRoot, "bench", "results");
Directory.CreateDirectory(resultsDir);
string jsonPath = Path.Combine(resultsDir, "latest.json");
string markdownPath = Path.Combine(options.RepositoryRoot, "docs", "benchmarks.md");
File.WriteAllText(jsonPath, JsonReport.Render(report));
File.WriteAllText(markdownPath, MarkdownReport.Render(report));
Console.WriteLine($"wrote {jsonPath} and {markdownPath}");
return report.Floor is null ? 1 : 0;

// False (and one line on stderr) when the stage cannot start its anvil.
static async Task<bool> RunEndToEndAsync(RunOptions options)
{
    var settings = new E2eSettings(options.RepositoryRoot, options.Quick)
    {
        Backends = options.EndToEndBackends,
        HubChannels = options.HubChannels,
        ReopenChannels = options.ReopenChannels,
        HubServerGc = options.HubServerGc,
    };
    Console.WriteLine($"end-to-end stage: {settings.Describe()}");
    JsonObject figures;
    try
    {
        figures = await Harness.RunAsync(settings, Console.Out);
    }
    catch (LocalAnvilException e)
    {
        Console.Error.WriteLine($"end-to-end stage: {e.Message}");
        return false;
    }

    string path = Path.Combine(options.RepositoryRoot, "bench", "results", EndToEnd.FileName);
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    File.WriteAllText(path, figures.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    Console.WriteLine($"wrote {path}");
    return true;
}
