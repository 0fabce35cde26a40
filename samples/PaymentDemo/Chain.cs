using System.Net.Http;
using System.Numerics;
using Nethereum.Hex.HexTypes;
using Nethereum.JsonRpc.Client;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Web3;
using Nethereum.Web3.Accounts;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>
/// The little the demo itself needs from the chain, beside the SDK: balances, plain ETH transfers to
/// fund the wallets' accounts, and anvil's clock (evm_increaseTime). Plain Nethereum JSON-RPC.
/// </summary>
internal sealed class Chain
{
    private readonly Uri _rpc;
    private readonly Web3 _web3;

    private Chain(Uri rpc, Web3 web3, ulong chainId)
    {
        _rpc = rpc;
        _web3 = web3;
        ChainId = chainId;
    }

    public ulong ChainId { get; }

    /// <summary>Reads the chain id: proves the endpoint is there and speaks JSON-RPC.</summary>
    /// <exception cref="DemoFailure">The endpoint cannot be reached or is not an Ethereum node.</exception>
    public static async Task<Chain> ConnectAsync(Uri rpc, CancellationToken cancellationToken)
    {
        var web3 = new Web3(new RpcClient(rpc, new HttpClient { Timeout = TimeSpan.FromSeconds(10) }));
        try
        {
            var id = await web3.Eth.ChainId.SendRequestAsync().WaitAsync(cancellationToken);
            return new Chain(rpc, web3, (ulong)id.Value);
        }
        catch (Exception e) when (e is RpcClientUnknownException or RpcClientTimeoutException or RpcResponseException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new DemoFailure($"cannot reach the JSON-RPC endpoint {rpc}: {Innermost(e).Message}");
        }
    }

    public async Task<Amount> BalanceAsync(EthAddress account)
    {
        var wei = await _web3.Eth.GetBalance.SendRequestAsync(account.ToString());
        return Amount.FromWei(wei.Value);
    }

    /// <summary>Sends <paramref name="amount"/> from <paramref name="fromKeyHex"/>'s account and waits for the receipt.</summary>
    public async Task TransferAsync(string fromKeyHex, EthAddress to, Amount amount, CancellationToken cancellationToken)
    {
        var web3 = new Web3(new Account(fromKeyHex, (long)ChainId), new RpcClient(_rpc, new HttpClient { Timeout = TimeSpan.FromSeconds(30) }));
        web3.TransactionManager.UseLegacyAsDefault = false;
        var receipt = await web3.TransactionManager
            .SendTransactionAndWaitForReceiptAsync(
                new TransactionInput { From = web3.TransactionManager.Account.Address, To = to.ToString(), Value = new HexBigInteger(amount.ToBigInteger()) },
                cancellationToken);
        if (receipt.Status?.Value != BigInteger.One)
        {
            throw new DemoFailure($"funding {to} failed: transaction {receipt.TransactionHash} reverted");
        }
    }

    /// <summary>Moves the chain's clock forward and mines a block (anvil and hardhat only). False if the node does not support it.</summary>
    public async Task<bool> TryIncreaseTimeAsync(TimeSpan by)
    {
        try
        {
            await _web3.Client.SendRequestAsync<object>(new RpcRequest(1, "evm_increaseTime", (long)by.TotalSeconds));
            await _web3.Client.SendRequestAsync<object>(new RpcRequest(2, "evm_mine"));
            return true;
        }
        catch (RpcResponseException)
        {
            return false;
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }
}
