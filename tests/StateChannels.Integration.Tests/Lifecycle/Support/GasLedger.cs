using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json.Nodes;

namespace StateChannels.Integration.Tests.Lifecycle.Support;

/// <summary>One mined transaction as the receipts tell it.</summary>
/// <param name="From">Sender.</param>
/// <param name="Operation">What it did: "deposit ETH (first)", "close ERC-20", "refute", "approve", ...</param>
/// <param name="GasUsed">Gas used (receipt).</param>
/// <param name="Fee">What the sender paid for it: gasUsed * effectiveGasPrice.</param>
/// <param name="Succeeded">Receipt status 1.</param>
public sealed record MinedTransaction(EthAddress From, string Operation, long GasUsed, BigInteger Fee, bool Succeeded);

/// <summary>
/// Reads every transaction mined in a block range with its receipt, and names its operation from
/// the function selector and the events it emitted (a register that emits Refuted is a refute).
/// Payout balance checks subtract the fees found here to the wei.
/// </summary>
public static class GasLedger
{
    private static readonly string Deposit = Selector("deposit((address,address,address,uint64,uint256,uint256,uint256),uint256,uint256,uint256)");
    private static readonly string Close = Selector("close((address,address,address,uint64,uint256,uint256,uint256),(bytes32,uint64,uint256,uint256,bool),bytes,bytes)");
    private static readonly string Register = Selector("register((address,address,address,uint64,uint256,uint256,uint256),(bytes32,uint64,uint256,uint256,bool),bytes,bytes)");
    private static readonly string Conclude = Selector("conclude((address,address,address,uint64,uint256,uint256,uint256))");
    private static readonly string Withdraw = Selector("withdraw(address)");
    private static readonly string Approve = Selector("approve(address,uint256)");
    private static readonly string Permit = Selector("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)");
    private static readonly string Mint = Selector("mint(address,uint256)");
    private static readonly string Registered = Topic("Registered(bytes32,uint64,uint256,uint256,uint256)");
    private static readonly string Refuted = Topic("Refuted(bytes32,uint64,uint256,uint256,uint256)");
    private static readonly string Deposited = Topic("Deposited(bytes32,uint256,uint256)");
    private static readonly string PayoutCredited = Topic("PayoutCredited(bytes32,address,address,uint256)");
    private static readonly string Concluded = Topic("Concluded(bytes32,uint64,uint256,uint256)");

    /// <summary>Every transaction in blocks <paramref name="fromBlock"/>..<paramref name="toBlock"/> (inclusive), in order.</summary>
    public static async Task<IReadOnlyList<MinedTransaction>> ScanAsync(LifecycleChain chain, ulong fromBlock, ulong toBlock)
    {
        var result = new List<MinedTransaction>();
        var channelsWithDeposits = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var n = fromBlock; n <= toBlock; n++)
        {
            var block = await chain.Node.RpcAsync("eth_getBlockByNumber", "0x" + n.ToString("x", CultureInfo.InvariantCulture), true);
            foreach (var tx in block!["transactions"]!.AsArray())
            {
                var hash = (string)tx!["hash"]!;
                var receipt = (await chain.Node.RpcAsync("eth_getTransactionReceipt", hash))!;
                var input = ((string?)tx["input"] ?? "0x").ToLowerInvariant();
                var selector = input.Length >= 10 ? input[..10] : input;
                var value = LifecycleChain.ParseQuantity((string)tx["value"]!);
                var logs = receipt["logs"]!.AsArray();
                var touchesToken = logs.Any(l => EthAddress.Parse((string)l!["address"]!) == chain.Token);
                var asset = value > 0 || !touchesToken ? "ETH" : "ERC-20";
                var credited = logs.Any(l => Topic0(l) == PayoutCredited) ? " (a payout credited)"
                    : logs.FirstOrDefault(l => Topic0(l) == Concluded) is { } concluded && HasZeroPayout(concluded) ? " (one side paid)"
                    : "";
                string operation;
                if (selector == Deposit)
                {
                    var deposited = logs.FirstOrDefault(l => Topic0(l) == Deposited);
                    var channel = deposited is null ? "?" : (string)deposited["topics"]![1]!;
                    operation = $"deposit {(value > 0 ? "ETH" : "ERC-20")} ({(channelsWithDeposits.Add(channel) ? "first" : "second")})";
                }
                else if (selector == Close)
                {
                    operation = $"close {asset}{credited}";
                }
                else if (selector == Register)
                {
                    operation = logs.Any(l => Topic0(l) == Refuted) ? "refute"
                        : logs.Any(l => Topic0(l) == Registered) ? "register"
                        : "register (no-op)";
                }
                else if (selector == Conclude)
                {
                    operation = $"conclude {asset}{credited}";
                }
                else if (selector == Withdraw)
                {
                    operation = $"withdraw {asset}";
                }
                else if (selector == Approve)
                {
                    operation = "approve";
                }
                else if (selector == Permit)
                {
                    operation = "permit";
                }
                else if (selector == Mint)
                {
                    operation = "mint";
                }
                else
                {
                    operation = tx["to"] is null ? "deployment" : "other " + selector;
                }

                var gasUsed = (long)LifecycleChain.ParseQuantity((string)receipt["gasUsed"]!);
                var price = LifecycleChain.ParseQuantity((string)receipt["effectiveGasPrice"]!);
                result.Add(new MinedTransaction(
                    EthAddress.Parse((string)tx["from"]!), operation, gasUsed, gasUsed * price, (string?)receipt["status"] == "0x1"));
            }
        }

        return result;
    }

    /// <summary>What <paramref name="account"/> paid in fees over <paramref name="transactions"/>.</summary>
    public static BigInteger FeesOf(this IEnumerable<MinedTransaction> transactions, EthAddress account) =>
        transactions.Where(t => t.From == account).Aggregate(BigInteger.Zero, (sum, t) => sum + t.Fee);

    /// <summary>Concluded(channelId indexed, version, payout0, payout1): data holds three words.</summary>
    private static bool HasZeroPayout(JsonNode log)
    {
        var data = ((string)log["data"]!)[2..];
        return data.Length == 3 * 64 && (LifecycleChain.ParseQuantity(data[64..128]).IsZero || LifecycleChain.ParseQuantity(data[128..192]).IsZero);
    }

    private static string? Topic0(JsonNode? log) => log?["topics"] is JsonArray { Count: > 0 } topics ? ((string?)topics[0])?.ToLowerInvariant() : null;

    private static string Selector(string signature) => Topic(signature)[..10];

    private static string Topic(string signature) => Keccak.Hash(Encoding.ASCII.GetBytes(signature)).ToString().ToLowerInvariant();
}
