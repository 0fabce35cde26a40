using System.Globalization;
using System.Net;

namespace StateChannels.PeerHost;

/// <summary>
/// The party's configuration: <c>--name value</c> arguments, each falling back to the environment
/// variable <c>PEERHOST_NAME</c> (upper case, '-' as '_'), so keys need not appear on command lines.
/// </summary>
internal sealed class HostSettings
{
    private readonly Dictionary<string, string> _args;

    private HostSettings(Dictionary<string, string> args) => _args = args;

    /// <summary><c>listen</c> (accepts the peer on <see cref="Listen"/>) or <c>dial</c> (connects to <see cref="Connect"/>).</summary>
    public string Role => Required("role");

    /// <summary>The LiteDB file.</summary>
    public string Db => Required("db");

    /// <summary>The channel signing key, hex.</summary>
    public string Key => Required("key");

    /// <summary>The on-chain transaction key, hex (separate account per party).</summary>
    public string TxKey => Required("tx-key");

    /// <summary>The node's JSON-RPC URL.</summary>
    public Uri Rpc => new(Required("rpc"));

    /// <summary>The deployed adjudicator.</summary>
    public EthAddress Adjudicator => EthAddress.Parse(Required("adjudicator"));

    /// <summary>The peer's channel address (the only peer served).</summary>
    public EthAddress Peer => EthAddress.Parse(Required("peer"));

    /// <summary>listen role: where to listen (ip:port).</summary>
    public IPEndPoint Listen => IPEndPoint.Parse(Optional("listen") ?? "127.0.0.1:0");

    /// <summary>dial role: the peer's listener, <c>noiseKey@ip:port</c> (the transport is Noise-encrypted).</summary>
    public StateChannels.Net.TcpPeerAddress Connect => StateChannels.Net.TcpPeerAddress.Parse(Required("connect"));

    /// <summary>listen role: the Noise static key's secret, 64 hex digits (kept across restarts, so the dialer's address stays valid); none: a fresh key.</summary>
    public string? NoiseKey => Optional("noise-key");

    /// <summary>Commands run before stdin's, separated by ';'.</summary>
    public string Script => Optional("script") ?? string.Empty;

    /// <summary>Label of this run, prefix of payment ids (unique across restarts).</summary>
    public string Run => Optional("run") ?? Guid.NewGuid().ToString("N")[..8];

    /// <summary>The most we deposit into a channel the peer opens, in wei.</summary>
    public Amount MaxAcceptedFunding => Amount.Parse(Optional("max-accepted-funding") ?? "1000000000000000000000");

    /// <summary>The engine's update timeout.</summary>
    public TimeSpan UpdateTimeout => TimeSpan.FromMilliseconds(long.Parse(Optional("update-timeout-ms") ?? "10000", CultureInfo.InvariantCulture));

    /// <summary>
    /// <c>store</c>: the LiteDB store is also the adjudicator's transaction journal (as in
    /// samples/Wallet); <c>none</c> (the default): no journal.
    /// </summary>
    public bool JournalInStore => (Optional("journal") ?? "none") switch
    {
        "store" => true,
        "none" => false,
        var other => throw new ArgumentException($"--journal must be 'store' or 'none', got '{other}'"),
    };

    /// <summary>Minimum level of engine log lines on stderr (Trace .. None).</summary>
    public string LogLevel => Optional("log-level") ?? "Warning";

    public static HostSettings Parse(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"expected '--name value', got '{args[i]}'");
            }

            map[args[i][2..]] = args[++i];
        }

        return new HostSettings(map);
    }

    private string? Optional(string name) =>
        _args.TryGetValue(name, out var v) ? v
        : Environment.GetEnvironmentVariable("PEERHOST_" + name.Replace('-', '_').ToUpperInvariant()) is { Length: > 0 } e ? e
        : null;

    private string Required(string name) =>
        Optional(name) ?? throw new ArgumentException($"missing --{name} (or PEERHOST_{name.Replace('-', '_').ToUpperInvariant()})");
}
