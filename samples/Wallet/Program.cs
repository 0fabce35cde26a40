using Microsoft.Extensions.Logging;
using StateChannels;
using StateChannels.Samples.Wallet;

// A console wallet: one party of a payment channel, as its own process.
//
//   dotnet run --project samples/Wallet -- --name alice --rpc http://127.0.0.1:8545 \
//       --adjudicator 0x... --tx-key-file alice.txkey --listen 127.0.0.1:9735
//
// Then type commands (help lists them). samples/PaymentDemo drives two of these through stdin and
// stdout. Kill it at any moment and start it again with the same --db and key: it reloads its
// channels from the LiteDB file and catches up with the peer on reconnect.
WalletSettings settings;
try
{
    settings = WalletSettings.Parse(args);
    if (settings.Help)
    {
        Console.WriteLine(WalletSettings.Usage);
        Console.WriteLine(WalletCommands.Help);
        return 0;
    }

    _ = (settings.Rpc, settings.Peer, settings.Challenge, settings.MinChallenge, settings.MaxAccept); // validate now, not mid-session
    if (settings.Deploy)
    {
        return await DeployAsync(settings);
    }

    _ = settings.Adjudicator;
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"wallet: {e.Message}");
    return 2;
}

// Ctrl-C stops the wallet cleanly: the store is closed, and nothing durable is lost either way.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

using ILoggerFactory? logs = settings.Verbose
    ? LoggerFactory.Create(builder => builder
        .SetMinimumLevel(LogLevel.Information)
        .AddSimpleConsole(o => { o.SingleLine = true; o.UseUtcTimestamp = true; o.TimestampFormat = "HH:mm:ss.fff "; })
        .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)) // all on stderr: stdout carries the machine-read lines
    : null;
WalletHost wallet;
try
{
    wallet = await WalletHost.StartAsync(settings, logs, stop.Token);
}
catch (StateChannelException e) when (e.Code == ErrorCode.ChainRpcFailure)
{
    Console.Error.WriteLine($"wallet {settings.Name}: cannot use the chain at {settings.Rpc}: {e.Message}");
    return 1;
}
catch (Exception e) when (e is StateChannelException or ArgumentException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"wallet {settings.Name}: {e.Message}");
    return 1;
}

await using (wallet)
{
    var commands = new WalletCommands(wallet);
    Replies.Ok(
        "start",
        ("name", settings.Name),
        ("address", wallet.Address),
        ("account", wallet.Account),
        ("channels", wallet.Client.Channels.Count),
        ("watcher", wallet.Watching ? "on" : "off"));

    // --listen / --connect are the same as typing the command first.
    if (settings.Listen is { } listen && !await commands.ExecuteAsync($"listen {listen}", stop.Token))
    {
        return 1;
    }

    if (settings.Connect is { } connect && !await commands.ExecuteAsync($"connect {connect}", stop.Token))
    {
        return 1;
    }

    // One command per line until "exit", the end of input (the demo closed our stdin, or died), or Ctrl-C.
    try
    {
        // (Console reads block the calling thread, so read on the thread pool and stop waiting on Ctrl-C.)
        while (await Task.Run(Console.In.ReadLine).WaitAsync(stop.Token) is { } line)
        {
            if (!await commands.ExecuteAsync(line, stop.Token))
            {
                break;
            }
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
    }
}

return 0;

// --deploy: a new adjudicator contract for wallets to share (one per chain is enough).
static async Task<int> DeployAsync(WalletSettings settings)
{
    var hex = settings.TxKeyHex() ?? throw new ArgumentException("--deploy needs the transaction key: --tx-key-file <file> or WALLET_TX_KEY");
    using var deployer = KeyFiles.Parse(hex, "transaction key");
    try
    {
        var address = await StateChannels.Ethereum.EthereumAdjudicator.DeployAsync(settings.Rpc, deployer);
        Replies.Ok("deploy", ("adjudicator", address));
        return 0;
    }
    catch (StateChannelException e)
    {
        Console.Error.WriteLine($"wallet: deploying the adjudicator failed ({e.Code}): {e.Message}");
        return 1;
    }
}
