using System.Security.Cryptography;
using StateChannels.Ethereum;
using StateChannels.Samples.Wallet;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>
/// The stage both stories play on: a chain (a local anvil, or --rpc), the adjudicator deployed on it,
/// and two wallet processes, Alice and Bob, connected over TCP on loopback with a funded channel
/// between them. Disposing it stops the wallets and anvil and removes the temporary files.
/// </summary>
internal sealed class DemoWorld : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly LocalAnvil? _anvil;
    private readonly string _dataDir;
    private readonly bool _deleteDataDir;

    private DemoWorld(Chain chain, LocalAnvil? anvil, string dataDir, bool deleteDataDir)
    {
        Chain = chain;
        _anvil = anvil;
        _dataDir = dataDir;
        _deleteDataDir = deleteDataDir;
    }

    public Chain Chain { get; }

    /// <summary>True on the demo's own anvil, whose clock the dispute story may fast-forward.</summary>
    public bool IsLocal => _anvil is not null;

    public WalletProcess Alice { get; private set; } = null!;

    public WalletProcess Bob { get; private set; } = null!;

    /// <summary>The participants' on-chain balances before the channel pays out (payouts go to the channel addresses).</summary>
    public (Amount Alice, Amount Bob) BalancesBefore { get; private set; }

    /// <summary>Builds the stage, telling the user each step.</summary>
    public static async Task<DemoWorld> CreateAsync(DemoOptions options, TimeSpan challenge, Action<string> say, CancellationToken cancellationToken)
    {
        // 1. A chain: our own anvil unless --rpc names one.
        LocalAnvil? anvil = null;
        Uri rpc;
        IReadOnlyList<string> fundingKeys;
        if (options.Rpc is { } given)
        {
            (rpc, fundingKeys) = (given, options.FundingKeys);
        }
        else
        {
            anvil = await StartAnvilAsync(say, cancellationToken);
            (rpc, fundingKeys) = (anvil.RpcUrl, anvil.PrivateKeys);
            say($"Started anvil at {rpc} (a local Ethereum node; chain id 31337).");
        }

        var dataDir = options.DataDir ?? Path.Combine(Path.GetTempPath(), "statechannels-demo-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dataDir);
        var world = new DemoWorld(await ConnectAsync(rpc, anvil, cancellationToken), anvil, dataDir, anvil is not null && options.DataDir is null);
        try
        {
            await world.SetUpAsync(options, fundingKeys, challenge, say, cancellationToken);
            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    /// <summary>Our own anvil (disposing the world kills it, so Ctrl-C and SIGTERM do too): three funded dev accounts.</summary>
    private static async Task<LocalAnvil> StartAnvilAsync(Action<string> say, CancellationToken cancellationToken)
    {
        try
        {
            return await LocalAnvil.StartAsync(new LocalAnvilOptions { Accounts = 3, Progress = say }, cancellationToken);
        }
        catch (LocalAnvilException e)
        {
            throw new DemoFailure($"{e.Message} (or pass --rpc <url>)", inner: e);
        }
    }

    private static async Task<Chain> ConnectAsync(Uri rpc, LocalAnvil? anvil, CancellationToken cancellationToken)
    {
        try
        {
            return await Chain.ConnectAsync(rpc, cancellationToken);
        }
        catch
        {
            if (anvil is not null)
            {
                await anvil.DisposeAsync();
            }

            throw;
        }
    }

    private async Task SetUpAsync(DemoOptions options, IReadOnlyList<string> fundingKeys, TimeSpan challenge, Action<string> say, CancellationToken cancellationToken)
    {
        if (fundingKeys.Count == 0 || !PrivateKey.TryParse(fundingKeys[0], out var funder))
        {
            throw DemoFailure.BadArguments("the funding key is not a private key (0x and 64 hex digits)");
        }

        using (funder)
        {
            // 2. The adjudicator contract, deployed from the committed bytecode (unless --adjudicator).
            var adjudicator = options.Adjudicator ?? await DeployAsync(options.Rpc ?? _anvil!.RpcUrl, funder, cancellationToken);
            say($"Adjudicator contract at {adjudicator} on chain {Chain.ChainId}.");

            // 3. Each wallet gets a fresh on-chain account, funded with its deposit plus gas money.
            var gasMoney = AmountText.Parse("0.05eth");
            var aliceTx = NewKeyHex();
            var bobTx = NewKeyHex();
            foreach (var (who, key) in new[] { ("Alice", aliceTx), ("Bob", bobTx) })
            {
                using var k = PrivateKey.Parse(key);
                await TransferAsync(fundingKeys[0], k.Address, options.Deposit + gasMoney, cancellationToken);
                say($"Funded {who}'s account {k.Address} with {AmountText.Format(options.Deposit + gasMoney)}.");
            }

            // 4. Two wallet processes: Alice listens on a free loopback port, Bob dials her.
            string[] Common(string name) =>
            [
                "--name", name,
                "--db", Path.Combine(_dataDir, name + ".db"),
                "--key-file", Path.Combine(_dataDir, name + ".key"),
                "--rpc", (options.Rpc ?? _anvil!.RpcUrl).ToString(),
                "--adjudicator", adjudicator.ToString(),
                "--challenge", ((uint)challenge.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--max-accept", options.Deposit.ToString(),
                .. options.Verbose ? new[] { "--verbose" } : [],
            ];

            Alice = await WalletProcess.StartAsync(
                "alice", [.. Common("alice"), "--listen", "127.0.0.1:0", .. options.Dispute ? new[] { "--demo-cheats" } : []],
                new Dictionary<string, string> { ["WALLET_TX_KEY"] = aliceTx }, cancellationToken);
            var listening = await Alice.WaitAsync(l => l.Kind == "ok" && l.Name == "listen", 0, StartTimeout, cancellationToken);
            var aliceConnected = Alice.Mark;
            Bob = await WalletProcess.StartAsync(
                "bob", [.. Common("bob"), "--connect", listening["peer-address"], "--peer", Alice.Address.ToString()],
                new Dictionary<string, string> { ["WALLET_TX_KEY"] = bobTx }, cancellationToken);
            await Alice.WaitEventAsync("connected", aliceConnected, StartTimeout, cancellationToken);
            say($"Started two wallet processes: Alice {Alice.Address} listens on {listening["endpoint"]}, Bob {Bob.Address} connected over TCP.");
            BalancesBefore = (await Chain.BalanceAsync(Alice.Address), await Chain.BalanceAsync(Bob.Address));

            // 5. The channel: Alice proposes, both sign version 0, each deposits, and the SDK waits for both deposits.
            var bobFunded = Bob.Mark;
            var open = await Alice.SendAsync($"open {options.Deposit} {options.Deposit}", StartTimeout, cancellationToken);
            await Bob.WaitEventAsync("funded", bobFunded, StartTimeout, cancellationToken);
            await WaitActiveAsync(Alice, cancellationToken);
            say($"Opened channel {open["channel"]}: each side deposited {AmountText.Format(options.Deposit)}.");
        }
    }

    /// <summary>Both deposits confirmed, as the wallet itself sees it.</summary>
    private static async Task WaitActiveAsync(WalletProcess wallet, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if ((await wallet.SendAsync("balance", StartTimeout, cancellationToken))["phase"] == "Active")
            {
                return;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new DemoFailure($"{wallet.Name}'s channel never became active");
    }

    private async Task<EthAddress> DeployAsync(Uri rpc, PrivateKey funder, CancellationToken cancellationToken)
    {
        try
        {
            return await EthereumAdjudicator.DeployAsync(rpc, funder, new EthereumAdjudicatorOptions { PollInterval = TimeSpan.FromMilliseconds(100) }, cancellationToken);
        }
        catch (StateChannelException e)
        {
            throw new DemoFailure($"deploying the adjudicator failed ({e.Code}): {e.Message}");
        }
    }

    private async Task TransferAsync(string fromKey, EthAddress to, Amount amount, CancellationToken cancellationToken)
    {
        try
        {
            await Chain.TransferAsync(fromKey, to, amount, cancellationToken);
        }
        catch (Exception e) when (e is not (DemoFailure or OperationCanceledException))
        {
            throw new DemoFailure($"funding the wallet account {to} failed: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>A new random key as hex, for a wallet's on-chain account.</summary>
    private static string NewKeyHex()
    {
        var bytes = new byte[PrivateKey.Length];
        PrivateKey? key;
        do
        {
            RandomNumberGenerator.Fill(bytes);
        }
        while (!PrivateKey.TryFromBytes(bytes, out key));

        key.Dispose();
        return Hex.Encode(bytes);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var wallet in new[] { Alice, Bob })
        {
            if (wallet is not null)
            {
                await wallet.DisposeAsync();
            }
        }

        if (_anvil is not null)
        {
            await _anvil.DisposeAsync();
        }

        if (_deleteDataDir)
        {
            try
            {
                Directory.Delete(_dataDir, recursive: true);
            }
            catch (IOException)
            {
                // best effort: it is a temporary folder
            }
        }
        else
        {
            Console.WriteLine($"Keys and wallet databases are kept in {_dataDir}.");
        }
    }
}
