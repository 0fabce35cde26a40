using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StateChannels;
using StateChannels.Ethereum;
using StateChannels.Samples;
using StateChannels.Testing;

namespace GameServer;

/// <summary>Where the channels live: a real node (anvil) or the simulated chain.</summary>
internal interface IGameChain : IAsyncDisposable
{
    /// <summary>One line saying what chain this is.</summary>
    string Description { get; }

    /// <summary>An adjudicator client sending transactions from a fresh, funded account of its own.</summary>
    Task<IAdjudicator> NewAccountAsync(CancellationToken cancellationToken);

    /// <summary>What <paramref name="address"/> holds in ETH on chain (where cooperative close pays out).</summary>
    Task<Amount> BalanceOfAsync(EthAddress address, CancellationToken cancellationToken);
}

/// <summary>The in-process simulated chain of StateChannels.Testing: no node, instant blocks.</summary>
internal sealed class SimulatedGameChain : IGameChain
{
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));

    public string Description => "simulated chain (in process)";

    public Task<IAdjudicator> NewAccountAsync(CancellationToken cancellationToken)
    {
        using var key = PrivateKey.Create();
        return Task.FromResult<IAdjudicator>(_chain.For(key.Address));
    }

    public Task<Amount> BalanceOfAsync(EthAddress address, CancellationToken cancellationToken) =>
        Task.FromResult(_chain.BalanceOf(address, EthAddress.Zero));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>
/// An anvil node: the adjudicator is deployed fresh; every account is a new key given ETH with
/// <c>anvil_setBalance</c> (so --rpc must name an anvil, or a node with that dev RPC).
/// </summary>
internal sealed class AnvilGameChain : IGameChain
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly LocalAnvil? _process;
    private readonly List<PrivateKey> _keys = [];
    private int _rpcId;

    private AnvilGameChain(Uri rpc, LocalAnvil? process)
    {
        Rpc = rpc;
        _process = process;
    }

    public Uri Rpc { get; }

    public EthAddress Adjudicator { get; private set; }

    public string Description => $"anvil at {Rpc} ({(_process is null ? "given with --rpc" : "started by us")}), adjudicator {Adjudicator}";

    public static EthereumAdjudicatorOptions AdjudicatorOptions() => new()
    {
        PollInterval = TimeSpan.FromMilliseconds(20),
        ReceiptTimeout = TimeSpan.FromMinutes(2),
        RpcTimeout = TimeSpan.FromSeconds(20),
    };

    public static async Task<AnvilGameChain> StartAsync(Uri? rpc, Action<string> say, CancellationToken cancellationToken)
    {
        var process = rpc is null ? await StartAnvilAsync(say, cancellationToken).ConfigureAwait(false) : null;
        var chain = new AnvilGameChain(rpc ?? process!.RpcUrl, process);
        try
        {
            var deployer = await chain.FundedKeyAsync(cancellationToken).ConfigureAwait(false);
            chain.Adjudicator = await EthereumAdjudicator.DeployAsync(chain.Rpc, deployer, AdjudicatorOptions(), cancellationToken).ConfigureAwait(false);
            return chain;
        }
        catch
        {
            await chain.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Our own anvil: accounts are new keys funded with anvil_setBalance, so one dev account is enough.</summary>
    private static async Task<LocalAnvil> StartAnvilAsync(Action<string> say, CancellationToken cancellationToken)
    {
        try
        {
            return await LocalAnvil.StartAsync(new LocalAnvilOptions { Accounts = 1, Progress = say }, cancellationToken).ConfigureAwait(false);
        }
        catch (LocalAnvilException e)
        {
            throw new GameException($"{e.Message} (or use --rpc URL or --sim)", e);
        }
    }

    public async Task<IAdjudicator> NewAccountAsync(CancellationToken cancellationToken)
    {
        var key = await FundedKeyAsync(cancellationToken).ConfigureAwait(false);
        return await EthereumAdjudicator.ConnectAsync(Rpc, Adjudicator, key, AdjudicatorOptions(), cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public async Task<Amount> BalanceOfAsync(EthAddress address, CancellationToken cancellationToken)
    {
        var hex = (string?)await RpcAsync("eth_getBalance", [address.ToString(), "latest"], cancellationToken).ConfigureAwait(false)
            ?? throw new GameException("eth_getBalance returned nothing");
        return new Amount(UInt128.Parse(hex.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }

        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A new transaction key with 100 ETH for gas and deposits.</summary>
    private async Task<PrivateKey> FundedKeyAsync(CancellationToken cancellationToken)
    {
        var key = PrivateKey.Create();
        lock (_keys)
        {
            _keys.Add(key);
        }

        try
        {
            await RpcAsync("anvil_setBalance", [key.Address.ToString(), "0x56bc75e2d63100000"], cancellationToken).ConfigureAwait(false);
        }
        catch (GameException e)
        {
            throw new GameException($"{Rpc} cannot fund accounts (anvil_setBalance): use an anvil node. {e.Message}", e);
        }

        return key;
    }

    private async Task<JsonNode?> RpcAsync(string method, object?[] parameters, CancellationToken cancellationToken)
    {
        var request = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = Interlocked.Increment(ref _rpcId),
            ["method"] = method,
            ["params"] = JsonSerializer.SerializeToNode(parameters),
        };
        try
        {
            using var content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json");
            using var response = await Http.PostAsync(Rpc, content, cancellationToken).ConfigureAwait(false);
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            if (body?["error"] is { } error)
            {
                throw new GameException($"{method}: {error.ToJsonString()}");
            }

            return body?["result"];
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new GameException($"{method} at {Rpc} failed: {e.Message}", e);
        }
    }
}
