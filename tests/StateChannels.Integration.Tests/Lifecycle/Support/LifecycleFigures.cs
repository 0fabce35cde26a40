using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StateChannels.TestKit;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>
/// The figures the lifecycle tests measure: the gas each operation used (from receipts) and the
/// time from OpenChannelAsync to the first completed payment. Nothing here is asserted against a
/// clock. The gas figures are checked against the committed docs/lifecycle-figures.json: an
/// operation that now uses more than <see cref="GasTolerance"/> above or below the recorded figure
/// fails the test that measured it, so the note cannot go stale unnoticed (calldata varies a little
/// with random nonces and signatures: zero bytes are cheaper). At the end of the run the figures
/// are written next to the test assembly, and into docs/ when STATECHANNELS_UPDATE_FIGURES=1.
/// </summary>
public static class LifecycleFigures
{
    /// <summary>Relative gas difference tolerated against the committed figures.</summary>
    public const double GasTolerance = 0.02;

    private const string FileName = "lifecycle-figures";
    private static readonly ConcurrentDictionary<string, ConcurrentBag<long>> Gas = new();
    private static readonly ConcurrentDictionary<string, ConcurrentBag<double>> Timings = new();
    private static readonly Lazy<IReadOnlyDictionary<string, long>> Committed = new(ReadCommitted);

    /// <summary>True when this run rewrites the committed figures (and so does not check against them).</summary>
    private static bool Updating => Environment.GetEnvironmentVariable("STATECHANNELS_UPDATE_FIGURES") == "1";

    /// <summary>Where the committed figures live.</summary>
    public static string DocsPath(string extension) => Path.Combine(RepoPaths.Root, "docs", FileName + extension);

    /// <summary>Records the gas of every successful transaction and checks it against the committed figure.</summary>
    public static void RecordGas(IEnumerable<MinedTransaction> transactions)
    {
        foreach (var t in transactions.Where(t => t.Succeeded && t.Operation != "mint"))
        {
            Gas.GetOrAdd(t.Operation, _ => []).Add(t.GasUsed);
            if (!Updating && Committed.Value.TryGetValue(t.Operation, out var recorded))
            {
                var off = Math.Abs(t.GasUsed - recorded) / (double)recorded;
                Assert.True(
                    off <= GasTolerance,
                    $"{t.Operation} used {t.GasUsed} gas; docs/{FileName}.json records {recorded} (more than {GasTolerance:P0} apart). " +
                    "If the change is intended, rerun with STATECHANNELS_UPDATE_FIGURES=1 and commit the docs.");
            }
        }
    }

    /// <summary>Records a duration (milliseconds) under <paramref name="name"/>.</summary>
    public static void RecordTime(string name, TimeSpan elapsed) => Timings.GetOrAdd(name, _ => []).Add(elapsed.TotalMilliseconds);

    /// <summary>Writes the figures gathered so far (called when the fixture ends).</summary>
    public static void Write()
    {
        if (Gas.IsEmpty && Timings.IsEmpty)
        {
            return;
        }

        var json = new JsonObject
        {
            ["note"] = "Measured by tests/StateChannels.Integration.Tests/Lifecycle on a local anvil; see docs/lifecycle-figures.md.",
            ["gas"] = new JsonObject(Gas.OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => KeyValuePair.Create(g.Key, (JsonNode?)JsonValue.Create(Median(g.Value.Select(v => (double)v)))))),
            ["timingsMs"] = new JsonObject(Timings.OrderBy(t => t.Key, StringComparer.Ordinal)
                .Select(t => KeyValuePair.Create(t.Key, (JsonNode?)JsonValue.Create(Math.Round(Median(t.Value), 1))))),
        };
        var jsonText = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        var markdown = Markdown();
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, FileName + ".json"), jsonText);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, FileName + ".md"), markdown);
        if (Updating)
        {
            File.WriteAllText(DocsPath(".json"), jsonText);
            File.WriteAllText(DocsPath(".md"), markdown);
        }
    }

    private static string Markdown()
    {
        var targets = ReadGasTargets();
        var md = new StringBuilder();
        md.AppendLine("# Lifecycle figures (measured on anvil)");
        md.AppendLine();
        md.AppendLine("Written by the lifecycle tests (`tests/StateChannels.Integration.Tests/Lifecycle`) with");
        md.AppendLine("`STATECHANNELS_UPDATE_FIGURES=1`; every run checks its gas against `lifecycle-figures.json`");
        md.AppendLine($"(±{GasTolerance:P0}: calldata gas varies slightly with the random channel nonce and signatures).");
        md.AppendLine("Gas is `gasUsed` from the receipts of the transactions the SDK really sent; the contract's own");
        md.AppendLine("targets (forge, `contracts/gas.json`) are shown beside them where one exists. Times are wall-clock");
        md.AppendLine("medians on the 2-core CI machine, anvil mining one block per transaction: indicative only. Each");
        md.AppendLine("payment update makes several durable (fsync'd) writes on both sides, so read the payment times");
        md.AppendLine("against the context row: what one fsync cost on that disk during the run.");
        md.AppendLine();
        md.AppendLine("| operation | gas used (median) | runs | min | max | contracts/gas.json |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (op, values) in Gas.OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var target = GasJsonKey(op) is { } key && targets.TryGetValue(key, out var t) ? $"{t:N0} ({key})" : "";
            md.AppendLine(CultureInfo.InvariantCulture,
                $"| {op} | {Median(values.Select(v => (double)v)):N0} | {values.Count} | {values.Min():N0} | {values.Max():N0} | {target} |");
        }

        md.AppendLine();
        md.AppendLine("Reading the gas table:");
        md.AppendLine();
        md.AppendLine("- ERC-20 figures differ from `contracts/gas.json` by the token's storage, not by our code: here each");
        md.AppendLine("  party holds exactly its funding, so a deposit empties its token balance (a storage refund: cheaper");
        md.AppendLine("  than gas.json's) and the close pays into two empty balances (two zero-to-non-zero writes: dearer).");
        md.AppendLine("- An ERC-20 deposit is two transactions: `approve` (exactly the amount) and `deposit`.");
        md.AppendLine("- \"one side paid\": a conclusion where one payout is zero (the refund of a channel the peer never");
        md.AppendLine("  funded); \"a payout credited\": the recipient refused ETH, its share became a credit, collected by `withdraw`.");
        md.AppendLine("- EIP-2612 permit: these figures use the TestToken, which has no permit, so they show `approve`. For");
        md.AppendLine("  a token with permit, `EthereumAdjudicatorOptions.UsePermit` (default true) sends a signed `permit`");
        md.AppendLine("  instead of the approvals. The adjudicator's `deposit` pulls with `transferFrom` from the sender and");
        md.AppendLine("  has no permit entry point (its gas targets leave no room), so it is still two transactions, and");
        md.AppendLine("  `permit` costs more than `approve` (OpenZeppelin ERC20Permit on anvil, PermitDepositTests: approve");
        md.AppendLine("  45,917; permit 74,113 with the owner's first nonce, 57,013 afterwards). Permit saves a transaction");
        md.AppendLine("  (and gas) only when a non-zero allowance must first be reset to zero (`approve(0)` + `approve`);");
        md.AppendLine("  set `UsePermit = false` for the lowest gas when allowances start at zero.");
        md.AppendLine();
        md.AppendLine("| time | median (ms) | runs |");
        md.AppendLine("|---|---:|---:|");
        foreach (var (name, values) in Timings.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Median(values):N1} | {values.Count} |");
        }

        return md.ToString();
    }

    private static string? GasJsonKey(string operation) => operation switch
    {
        "deposit ETH (first)" => "deposit_eth_first",
        "deposit ETH (second)" => "deposit_eth_second",
        "deposit ERC-20 (first)" => "deposit_erc20_first",
        "deposit ERC-20 (second)" => "deposit_erc20_second",
        "close ETH" => "close_eth",
        "close ERC-20" => "close_erc20",
        "register" => "register",
        "refute" => "refute",
        "conclude ETH" => "conclude_eth",
        _ => null,
    };

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static Dictionary<string, long> ReadGasTargets()
    {
        var path = Path.Combine(RepoPaths.Contracts, "gas.json");
        return JsonNode.Parse(File.ReadAllText(path))!.AsObject().ToDictionary(p => p.Key, p => (long)p.Value!);
    }

    private static IReadOnlyDictionary<string, long> ReadCommitted()
    {
        var path = DocsPath(".json");
        if (!File.Exists(path))
        {
            return new Dictionary<string, long>();
        }

        return JsonNode.Parse(File.ReadAllText(path))!["gas"]!.AsObject()
            .ToDictionary(p => p.Key, p => (long)Math.Round((double)p.Value!));
    }
}
