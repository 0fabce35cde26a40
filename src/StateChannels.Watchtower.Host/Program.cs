using Microsoft.Extensions.Logging;
using StateChannels;
using StateChannels.Ethereum;
using StateChannels.Net;
using StateChannels.Storage.LiteDb;
using StateChannels.Watchtower.Host;

// The watchtower process: clients feed it their latest fully signed states (WatchtowerFeeder over
// the authenticated TCP transport); it refutes stale registrations and concludes after the deadline.
// Prints one line "listening <noiseKey@ip:port> <tower address>" on stdout once it serves; stops on Ctrl+C / SIGTERM.
TowerSettings settings;
PrivateKey identity;
PrivateKey gas;
StateChannels.Net.Noise.NoiseStaticKey? noiseKey;
try
{
    settings = TowerSettings.Parse(args);
    identity = TowerSettings.KeyFrom(TowerSettings.IdentityKeyVariable);
    gas = TowerSettings.KeyFrom(TowerSettings.GasKeyVariable);
    noiseKey = TowerSettings.NoiseKey();
}
catch (Exception e) when (e is ArgumentException or FormatException or StateChannelException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(TowerSettings.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();

using var logs = LoggerFactory.Create(builder => builder
    .SetMinimumLevel(Enum.Parse<LogLevel>(settings.LogLevel, ignoreCase: true))
    .AddSimpleConsole(o => { o.SingleLine = true; o.UseUtcTimestamp = true; o.TimestampFormat = "HH:mm:ss.fff "; })
    .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)); // all on stderr: stdout carries the machine-read lines
var log = logs.CreateLogger("StateChannels.Watchtower.Host");
using (identity)
using (gas)
using (noiseKey)
{
    var chainOptions = new EthereumAdjudicatorOptions
    {
        ConfirmationDepth = settings.Confirmations,
        PollInterval = settings.Poll < TimeSpan.FromMinutes(1) ? settings.Poll : TimeSpan.FromMinutes(1),
        Logger = logs.CreateLogger("StateChannels.Ethereum"),
    };
    await using var store = LiteDbChannelStore.Open(settings.Database);

    // The tower's own store is also its transaction journal: a refute sent before a crash is found
    // again after the restart instead of being sent twice.
    var adjudicator = await EthereumAdjudicator.ConnectAsync(settings.Rpc, settings.Adjudicator, gas, chainOptions, store, stop.Token);
    var events = new EthereumChainEventSource(settings.Rpc, settings.Adjudicator, chainOptions);
    var tower = await WatchtowerService.CreateAsync(
        new WatchtowerOptions { ChainPollInterval = settings.Poll, StaleChainThreshold = settings.StaleAfter },
        store, adjudicator, events, TimeProvider.System, logs, stop.Token);
    await using var listener = new TcpChannelListener(
        new PrivateKeySigner(identity), adjudicator.Domain, settings.Listen, new TcpTransportOptions { NoiseKey = noiseKey }, logs.CreateLogger("StateChannels.Net"));
    Console.Out.WriteLine($"listening {listener.PeerAddress} {identity.Address} channels={tower.ChannelCount} gas={adjudicator.Account}");
    Console.Out.Flush();

    var watching = tower.RunAsync(stop.Token);
    _ = watching.ContinueWith(
        t =>
        {
            // The watcher must never die silently: stop serving, and let the exit code say so.
            log.LogCritical(t.Exception, "the watcher stopped");
            stop.Cancel();
        },
        CancellationToken.None,
        TaskContinuationOptions.OnlyOnFaulted,
        TaskScheduler.Default);
    var serving = new List<Task>();
    try
    {
        await foreach (var connection in listener.AcceptAllAsync(stop.Token))
        {
            serving.RemoveAll(t => t.IsCompleted);
            serving.Add(tower.RunConnectionAsync(connection, stop.Token));
        }
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
    }

    try
    {
        await watching;
    }
    catch (OperationCanceledException) when (stop.IsCancellationRequested)
    {
    }

    await Task.WhenAll(serving);
    log.LogInformation("watchtower stopped");
}

return 0;
