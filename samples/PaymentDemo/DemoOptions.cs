using System.Globalization;
using StateChannels.Samples.Wallet;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>The demo's command line.</summary>
internal sealed class DemoOptions
{
    public const string Usage = """
        PaymentDemo: two wallets pay each other over a StateChannels payment channel.

          dotnet run --project samples/PaymentDemo [-- options]

        options:
          --payments <n>        payments to make, half each way (default 1000)
          --parallel <n>        payments each wallet keeps in flight (default 64)
          --deposit <amount>    what each wallet deposits into the channel (default 1eth)
          --dispute             run the dispute story instead: Alice registers an old state,
                                Bob's watcher refutes it, Bob gets his latest balance
          --challenge <s>       challenge duration in seconds (default 3600 on the local anvil,
                                where the demo fast-forwards the clock; 120 on other chains)
          --rpc <url>           use this EVM node instead of starting anvil
          --key <hex>           funding key on that chain (or DEMO_FUNDING_KEY): deploys the
                                adjudicator and funds the wallets' fresh accounts
          --adjudicator <addr>  use this deployed adjudicator instead of deploying one
          --data <dir>          keep keys and wallet databases there (default: a temporary
                                folder, deleted at the end on the local anvil)
          --verbose             show the wallets' SDK logs
        amounts: wei (1000), or with a unit: 5gwei, 0.25eth
        """;

    public int Payments { get; private init; } = 1000;

    public int Parallel { get; private init; } = 64;

    public Amount Deposit { get; private init; } = AmountText.Parse("1eth");

    public bool Dispute { get; private init; }

    public uint? ChallengeSeconds { get; private init; }

    public Uri? Rpc { get; private init; }

    public IReadOnlyList<string> FundingKeys { get; private init; } = [];

    public EthAddress? Adjudicator { get; private init; }

    public string? DataDir { get; private init; }

    public bool Verbose { get; private init; }

    public bool Help { get; private init; }

    /// <exception cref="DemoFailure">A malformed argument (exit code 2).</exception>
    public static DemoOptions Parse(string[] args)
    {
        var (payments, parallel, deposit, dispute, challenge, rpc, adjudicator, data, verbose, help) =
            (1000, 64, AmountText.Parse("1eth"), false, (uint?)null, (Uri?)null, (EthAddress?)null, (string?)null, false, false);
        var keys = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw DemoFailure.BadArguments($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--payments":
                    payments = PositiveInt("--payments", Value());
                    break;
                case "--parallel":
                    parallel = PositiveInt("--parallel", Value());
                    break;
                case "--deposit":
                    var text = Value();
                    deposit = AmountText.TryParse(text, out var d) && !d.IsZero ? d : throw DemoFailure.BadArguments($"--deposit: '{text}' is not a positive amount");
                    break;
                case "--dispute":
                    dispute = true;
                    break;
                case "--challenge":
                    challenge = (uint)PositiveInt("--challenge", Value());
                    break;
                case "--rpc":
                    var url = Value();
                    rpc = Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https"
                        ? u
                        : throw DemoFailure.BadArguments($"--rpc: '{url}' is not an http(s) URL");
                    break;
                case "--key":
                    keys.Add(Value());
                    break;
                case "--adjudicator":
                    var a = Value();
                    adjudicator = EthAddress.TryParse(a, out var address) ? address : throw DemoFailure.BadArguments($"--adjudicator: '{a}' is not an address");
                    break;
                case "--data":
                    data = Value();
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                default:
                    throw DemoFailure.BadArguments($"unknown option '{args[i]}'");
            }
        }

        if (keys.Count == 0 && Environment.GetEnvironmentVariable("DEMO_FUNDING_KEY") is { Length: > 0 } envKey)
        {
            keys.Add(envKey.Trim());
        }

        if (keys.Count > 1)
        {
            throw DemoFailure.BadArguments("one --key is enough: it funds both wallets");
        }

        if (rpc is null && (keys.Count > 0 || adjudicator is not null))
        {
            throw DemoFailure.BadArguments("--key and --adjudicator need --rpc (the local anvil brings its own)");
        }

        if (rpc is not null && keys.Count == 0)
        {
            throw DemoFailure.BadArguments("--rpc needs a funding key: --key <hex> or DEMO_FUNDING_KEY");
        }

        // Amounts are shares of the deposit: each payment at most deposit / (2 x payments), the dispute's 1/20.
        var least = dispute ? 20UL : (ulong)payments;
        if (deposit < least)
        {
            throw DemoFailure.BadArguments($"--deposit must be at least {least} wei for this story");
        }

        return new DemoOptions
        {
            Payments = payments,
            Parallel = parallel,
            Deposit = deposit,
            Dispute = dispute,
            ChallengeSeconds = challenge,
            Rpc = rpc,
            FundingKeys = keys,
            Adjudicator = adjudicator,
            DataDir = data,
            Verbose = verbose,
            Help = help,
        };
    }

    private static int PositiveInt(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw DemoFailure.BadArguments($"{name}: '{text}' is not a positive number");
}
