using System.Globalization;
using System.Net;

namespace StateChannels.Samples.Wallet;

/// <summary>
/// The wallet's configuration, from <c>--name value</c> arguments. Secrets can come from the
/// environment instead of the command line (where other users of the machine could read them):
/// <c>WALLET_KEY</c> and <c>WALLET_TX_KEY</c> hold hex keys.
/// </summary>
internal sealed class WalletSettings
{
    /// <summary>The usage text printed by <c>--help</c>.</summary>
    public const string Usage = """
        Wallet: one party of a StateChannels payment channel.

          dotnet run --project samples/Wallet -- --rpc <url> --adjudicator <address> [options]

        options:
          --name <label>          name shown in replies (default: wallet)
          --db <file>             LiteDB file holding the channels (default: <name>.db)
          --key-file <file>       channel signing key, hex; created if missing (default: <name>.key)
                                  or WALLET_KEY=<hex>
          --tx-key-file <file>    on-chain account that pays deposits and gas, hex
                                  or WALLET_TX_KEY=<hex>
          --rpc <url>             the chain's JSON-RPC endpoint (or WALLET_RPC)
          --adjudicator <addr>    the deployed adjudicator contract (or WALLET_ADJUDICATOR)
          --listen <ip:port>      accept the peer on this endpoint (same as the listen command)
          --connect <key@ip:port> dial the peer there: its Noise key @ its endpoint (same as the connect command)
          --noise-key-file <file> transport (Noise) static key, hex; created if missing (default: <key-file>.noise)
          --peer <address>        the peer's channel address (checked when dialling)
          --challenge <seconds>   challenge duration of channels we open (default 3600)
          --min-challenge <s>     shortest challenge duration we accept from the peer
                                  (default 3600, or --challenge if that is shorter)
          --max-accept <amount>   most we deposit into a channel the peer opens (default 1eth)
          --no-watch              do not start the watcher (it refutes stale states on chain)
          --demo-cheats           enable cheat-register (demo only: it tries to steal)
          --deploy                deploy a new adjudicator with the transaction key, print its address, exit
          --verbose               SDK log lines on stderr
        amounts: wei (1000), or with a unit: 5gwei, 0.25eth
        """;

    private readonly Dictionary<string, string> _values;

    private WalletSettings(Dictionary<string, string> values) => _values = values;

    public string Name => Get("name") ?? "wallet";

    public string Db => Get("db") ?? Name + ".db";

    public string KeyFile => Get("key-file") ?? Name + ".key";

    /// <summary>The transport's Noise static key, hex; created if missing. Default: the key file's name with <c>.noise</c>.</summary>
    public string NoiseKeyFile => Get("noise-key-file") ?? Path.ChangeExtension(KeyFile, ".noise");

    public string? TxKeyFile => Get("tx-key-file");

    public Uri Rpc => Get("rpc", "WALLET_RPC") is { } rpc && Uri.TryCreate(rpc, UriKind.Absolute, out var uri)
        ? uri
        : throw new ArgumentException("--rpc <url> is required (or WALLET_RPC)");

    public bool Deploy => Has("deploy");

    public EthAddress Adjudicator => Get("adjudicator", "WALLET_ADJUDICATOR") is { } text && EthAddress.TryParse(text, out var address)
        ? address
        : throw new ArgumentException("--adjudicator <address> is required (or WALLET_ADJUDICATOR)");

    public string? Listen => Get("listen");

    public string? Connect => Get("connect");

    public EthAddress? Peer => Get("peer") is { } text
        ? EthAddress.TryParse(text, out var address) ? address : throw new ArgumentException($"--peer: '{text}' is not an address")
        : null;

    public TimeSpan Challenge => TimeSpan.FromSeconds(
        Get("challenge") is { } text
            ? uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : throw new ArgumentException("--challenge: positive seconds")
            : 3600);

    public TimeSpan MinChallenge => Get("min-challenge") is { } text
        ? TimeSpan.FromSeconds(uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : throw new ArgumentException("--min-challenge: positive seconds"))
        : TimeSpan.FromSeconds(Math.Min(3600, Challenge.TotalSeconds));

    public Amount MaxAccept => AmountText.Parse(Get("max-accept") ?? "1eth");

    public bool Watch => !Has("no-watch");

    public bool DemoCheats => Has("demo-cheats");

    public bool Verbose => Has("verbose");

    public bool Help => Has("help");

    /// <summary>Parses <c>--name value</c> pairs and bare <c>--flag</c>s.</summary>
    /// <exception cref="ArgumentException">A malformed argument.</exception>
    public static WalletSettings Parse(string[] args)
    {
        string[] flags = ["no-watch", "demo-cheats", "verbose", "help", "deploy"];
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument '{args[i]}' (see --help)");
            }

            var name = args[i][2..];
            if (flags.Contains(name))
            {
                values[name] = "true";
            }
            else if (i + 1 < args.Length)
            {
                values[name] = args[++i];
            }
            else
            {
                throw new ArgumentException($"--{name} needs a value (see --help)");
            }
        }

        return new WalletSettings(values);
    }

    /// <summary>Parses <c>ip:port</c> (e.g. <c>127.0.0.1:9735</c>).</summary>
    public static StateChannels.Net.TcpPeerAddress ParsePeerAddress(string text) =>
        StateChannels.Net.TcpPeerAddress.TryParse(text, out var address) && address.NoiseKey is not null
            ? address
            : throw new ArgumentException($"'{text}' is not noiseKey@ip:port (the peer's listen prints it as peer-address)");

    public static IPEndPoint ParseEndPoint(string text) =>
        IPEndPoint.TryParse(text, out var endPoint) ? endPoint : throw new ArgumentException($"'{text}' is not ip:port");

    /// <summary>Secrets: WALLET_TX_KEY, else the file named by --tx-key-file.</summary>
    public string? TxKeyHex() =>
        Environment.GetEnvironmentVariable("WALLET_TX_KEY") is { Length: > 0 } env ? env
        : TxKeyFile is { } file ? KeyFiles.ReadHex(file)
        : null;

    private bool Has(string name) => _values.ContainsKey(name);

    private string? Get(string name, string? environmentVariable = null) =>
        _values.TryGetValue(name, out var v) ? v
        : environmentVariable is not null && Environment.GetEnvironmentVariable(environmentVariable) is { Length: > 0 } e ? e
        : null;
}
