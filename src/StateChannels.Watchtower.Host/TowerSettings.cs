using System.Globalization;
using System.Net;

namespace StateChannels.Watchtower.Host;

/// <summary>
/// Command line: <c>--rpc URL --adjudicator ADDRESS --db PATH [--listen IP:PORT] [--confirmations N]
/// [--poll-ms N] [--stale-seconds N] [--log LEVEL]</c>. Keys come from the environment, never from
/// the command line (which other users of the machine can read): <c>STATECHANNELS_TOWER_KEY</c>
/// (hex; the tower's identity in the transport handshake, which clients pin) and
/// <c>STATECHANNELS_TOWER_GAS_KEY</c> (hex; the account that pays for refutes and conclusions).
/// </summary>
internal sealed record TowerSettings(
    Uri Rpc, EthAddress Adjudicator, string Database, IPEndPoint Listen, int Confirmations, TimeSpan Poll, TimeSpan StaleAfter, string LogLevel)
{
    public const string IdentityKeyVariable = "STATECHANNELS_TOWER_KEY";
    public const string GasKeyVariable = "STATECHANNELS_TOWER_GAS_KEY";

    /// <summary>Optional: the transport's Noise static key (64 hex digits). Unset: a fresh key at every start, printed on the listening line.</summary>
    public const string NoiseKeyVariable = "STATECHANNELS_TOWER_NOISE_KEY";

    public const string Usage =
        "usage: StateChannels.Watchtower.Host --rpc URL --adjudicator ADDRESS --db PATH [--listen IP:PORT] [--confirmations N] [--poll-ms N] [--stale-seconds N] [--log LEVEL]\n"
        + $"environment: {IdentityKeyVariable}=<hex key> (transport identity), {GasKeyVariable}=<hex key> (pays gas), "
        + $"optional {NoiseKeyVariable}=<hex key> (transport encryption key; keep it so clients' key@ip:port stays valid)";

    /// <summary>Parses the arguments; <see cref="ArgumentException"/> with the reason when they are wrong.</summary>
    public static TowerSettings Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"unexpected argument '{args[i]}'");
            }

            values[args[i][2..]] = args[i + 1];
        }

        string Required(string name) => values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} is required");
        int Number(string name, int fallback) =>
            values.TryGetValue(name, out var v) ? int.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture) : fallback;

        if (!EthAddress.TryParse(Required("adjudicator"), out var adjudicator))
        {
            throw new ArgumentException("--adjudicator is not an address");
        }

        var listen = values.TryGetValue("listen", out var l) ? IPEndPoint.Parse(l) : new IPEndPoint(IPAddress.Loopback, 0);
        return new TowerSettings(
            new Uri(Required("rpc")),
            adjudicator,
            Required("db"),
            listen,
            Number("confirmations", 1),
            TimeSpan.FromMilliseconds(Number("poll-ms", 1000)),
            TimeSpan.FromSeconds(Number("stale-seconds", 300)),
            values.GetValueOrDefault("log", "Information"));
    }

    /// <summary>A key from the environment; <see cref="ArgumentException"/> when missing or malformed.</summary>
    /// <summary>The Noise static key from <see cref="NoiseKeyVariable"/>, or null when unset.</summary>
    public static StateChannels.Net.Noise.NoiseStaticKey? NoiseKey() =>
        Environment.GetEnvironmentVariable(NoiseKeyVariable) is { Length: > 0 } hex
            ? StateChannels.Net.Noise.NoiseStaticKey.FromBytes(Convert.FromHexString(hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex))
            : null;

    public static PrivateKey KeyFrom(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } hex
            ? PrivateKey.Parse(hex)
            : throw new ArgumentException($"{variable} is not set");
}
