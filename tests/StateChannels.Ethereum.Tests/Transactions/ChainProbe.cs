using System.Collections.Concurrent;
using System.Globalization;
using System.Numerics;
using StateChannels.Ethereum.Internal;
using StateChannels.TestKit;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>Raw reads of what the chain holds, for assertions that count transactions and nonces.</summary>
internal static class ChainProbe
{
    public static async Task<ulong> NonceAsync(AnvilNode node, EthAddress account, string block = "latest") =>
        Hex(await node.RpcAsync("eth_getTransactionCount", account.ToString(), block));

    public static async Task<BigInteger> BaseFeeAsync(AnvilNode node) =>
        Hex((await node.RpcAsync("eth_getBlockByNumber", "latest", false))!["baseFeePerGas"]);

    /// <summary>Whether the transaction has a receipt (is mined).</summary>
    public static async Task<bool> IsMinedAsync(AnvilNode node, Hash32 hash) =>
        await node.RpcAsync("eth_getTransactionReceipt", hash.ToString()) is not null;

    /// <summary>The attempts among <paramref name="attempts"/> that are mined (replacements at one nonce: at most one).</summary>
    public static async Task<List<TxAttempt>> MinedAsync(AnvilNode node, IEnumerable<TxAttempt> attempts)
    {
        var mined = new List<TxAttempt>();
        foreach (var attempt in attempts)
        {
            if (await IsMinedAsync(node, attempt.Hash))
            {
                mined.Add(attempt);
            }
        }

        return mined;
    }

    /// <summary>Waits until the pending nonce of <paramref name="account"/> reaches <paramref name="target"/> (a sent transaction reached the mempool).</summary>
    public static async Task WaitPendingAsync(AnvilNode node, EthAddress account, ulong target)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await NonceAsync(node, account, "pending") < target)
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds (at most 30 s).</summary>
    public static async Task UntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    /// <summary>Records every transaction the manager signs (after it is journaled, before broadcast).</summary>
    public static ConcurrentQueue<TxAttempt> RecordSigned(EthereumAdjudicator adjudicator)
    {
        var signed = new ConcurrentQueue<TxAttempt>();
        adjudicator.Transactions.Signed = (_, attempt) => signed.Enqueue(attempt);
        return signed;
    }

    public static ulong Hex(System.Text.Json.Nodes.JsonNode? node)
    {
        var text = (string)node!;
        return ulong.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
