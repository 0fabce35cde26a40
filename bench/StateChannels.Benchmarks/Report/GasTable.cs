using System.Text.Json;

namespace StateChannels.Benchmarks.Report;

/// <summary>
/// contracts/gas.json (our adjudicator, from real receipts on anvil) beside the anchors' published
/// figures. Nothing here is measured by this run: it is copied into docs/benchmarks.md so the
/// on-chain cost sits next to the off-chain speed.
/// </summary>
internal static class GasTable
{
    /// <summary>statechannels nitro-protocol, figures as recorded for this project's issue 7; not re-derived here.</summary>
    public const string NitroSource = "statechannels nitro-protocol gas benchmarks (figures as quoted in this project's benchmark brief, not re-derived here)";

    /// <summary>raiden-network/raiden-contracts, raiden_contracts/data/gas.json at commit 064df91b6de831bce5a01aaece85c9ff6c7c89ba.</summary>
    public const string RaidenSource = "raiden-network/raiden-contracts, raiden_contracts/data/gas.json at commit 064df91b (TokenNetwork, ERC-20 only)";

    /// <summary>Rows: our gas.json key, the operation, Nitro's figure, Raiden's figure and what it is.</summary>
    public static IReadOnlyList<(string Key, string Operation, int? Nitro, string? Raiden)> Comparable { get; } =
    [
        ("happy_eth_lifecycle", "happy ETH lifecycle (2 deposits + cooperative close)", 187_418, null),
        ("happy_erc20_lifecycle", "happy ERC-20 lifecycle (2 deposits + cooperative close)", null, null),
        ("sad_exit_eth", "sad exit (register + conclude)", 195_172, "219,440 = closeChannel 111,155 + settleChannel 108,285 (ERC-20)"),
        ("register", "register a state (start a dispute)", null, "111,155 closeChannel"),
        ("refute", "refute with a newer state", 73_936, "93,641 updateNonClosingBalanceProof"),
        ("conclude_eth", "conclude after the deadline", null, "108,285 settleChannel"),
        ("deposit_erc20_first", "first ERC-20 deposit (opens the channel)", null, "142,654 = openChannel 97,745 + setTotalDeposit 44,909"),
    ];

    public static IReadOnlyDictionary<string, long> Load(string repositoryRoot)
    {
        string path = Path.Combine(repositoryRoot, "contracts", "gas.json");
        if (!File.Exists(path))
        {
            return new Dictionary<string, long>();
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.Number)
            .ToDictionary(p => p.Name, p => p.Value.GetInt64(), StringComparer.Ordinal);
    }
}
