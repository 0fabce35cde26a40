using System.Globalization;
using System.Text.Json.Nodes;
using StateChannels.TestKit;

namespace StateChannels.Ethereum.Tests;

/// <summary>What a browser wallet produces: contracts/script/sign-state.mjs runs ethers 6 <c>Wallet.signTypedData</c>.</summary>
public static class EthersWallet
{
    /// <summary>The signature, ethers' own EIP-712 digest, and the wallet's address.</summary>
    public sealed record Result(Signature Signature, Hash32 Digest, EthAddress Signer);

    public static async Task<Result> SignStateAsync(string privateKeyHex, Eip712Domain domain, ChannelState state)
    {
        var result = await ProcessRunner.RunAsync(
            "node",
            [
                Path.Combine(RepoPaths.Contracts, "script", "sign-state.mjs"),
                "--chain-id", domain.ChainId.ToString(CultureInfo.InvariantCulture),
                "--adjudicator", domain.Adjudicator.ToString(),
                "--channel-id", state.ChannelId.ToString(),
                "--version", state.Version.ToString(CultureInfo.InvariantCulture),
                "--balance0", state.Balance0.ToString(),
                "--balance1", state.Balance1.ToString(),
                "--final", state.IsFinal ? "true" : "false",
                "--json",
            ],
            RepoPaths.Contracts,
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { ["SIGNER_PRIVATE_KEY"] = privateKeyHex });
        Assert.True(result.ExitCode == 0, result.Output);
        var json = JsonNode.Parse(result.StdOut)!;
        return new Result(
            Signature.Parse((string)json["signature"]!),
            Hash32.Parse((string)json["digest"]!),
            EthAddress.Parse((string)json["signer"]!));
    }
}
