using System.Globalization;

namespace GameServer;

/// <summary>The command line, parsed. <see cref="Parse"/> throws <see cref="UsageException"/> on a bad one.</summary>
internal sealed record GameSettings
{
    public const string Usage = """
        usage: GameServer [options]
          --players N      player bots, each with its own channel to the hub (default 8)
          --duration S     seconds of play (default 10)
          --payments N     stop once the players made N payments in total (default: no limit)
          --inflight K     actions each player keeps in flight at once (default 4)
          --rpc URL        use this anvil node (JSON-RPC over HTTP) instead of starting one
          --sim            use the in-process simulated chain instead of a node (a quick look)
          --memory         keep channel state in memory instead of LiteDB files (not durable; to compare)
          --websocket      serve players over WebSocket (an ASP.NET Core endpoint, ws://127.0.0.1:port/channels) instead of TCP
          --help           this text
        exit codes: 0 balances check out, 1 balance check failed, 2 bad usage, 3 runtime error
        """;

    public int Players { get; init; } = 8;

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    public long? Payments { get; init; }

    public int InFlight { get; init; } = 4;

    public Uri? Rpc { get; init; }

    public bool Simulated { get; init; }

    public bool MemoryStores { get; init; }

    public bool WebSocket { get; init; }

    public bool Help { get; init; }

    public static GameSettings Parse(IReadOnlyList<string> args)
    {
        var s = new GameSettings();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new UsageException($"{name} needs a value");
            s = name switch
            {
                "--players" => s with { Players = Int(name, Value(), 1, 1_000) },
                "--duration" => s with { Duration = TimeSpan.FromSeconds(Int(name, Value(), 1, 86_400)) },
                "--payments" => s with { Payments = Int(name, Value(), 1, int.MaxValue) },
                "--inflight" => s with { InFlight = Int(name, Value(), 1, 1_000) },
                "--rpc" => s with { Rpc = Url(Value()) },
                "--sim" => s with { Simulated = true },
                "--memory" => s with { MemoryStores = true },
                "--websocket" => s with { WebSocket = true },
                "--help" or "-h" => s with { Help = true },
                _ => throw new UsageException($"unknown option '{name}'"),
            };
        }

        if (s.Simulated && s.Rpc is not null)
        {
            throw new UsageException("--sim and --rpc exclude each other");
        }

        return s;
    }

    private static int Int(string name, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max
            ? v
            : throw new UsageException($"{name} must be a whole number from {min} to {max}, not '{text}'");

    private static Uri Url(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new UsageException($"--rpc must be an http(s) URL, not '{text}'");
}

/// <summary>A bad command line: exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
