using System.Globalization;
using StateChannels;
using StateChannels.Ethereum;
using StateChannels.Storage.LiteDb;

// Usage:
//   register <rpc> <adjudicator> <txKey> <db> <channelKey0> <channelKey1> <nonce> <funding0> <funding1> <challengeSeconds> <version> <balance0> <balance1>
//   withdraw <rpc> <adjudicator> <txKey> <db>
// Opens the LiteDB file as the transaction journal, runs the operation, prints "done" and exits 0;
// a failure prints "error <code> <message>" and exits 1. STATECHANNELS_CRASH_AT kills it at a crash point.
StateChannels.TestHosts.CrashAtEnvironment.Arm();
if (args.Length < 5)
{
    Console.Error.WriteLine("usage: register|withdraw <rpc> <adjudicator> <txKey> <db> ...");
    return 2;
}

var rpc = new Uri(args[1]);
var adjudicatorAddress = EthAddress.Parse(args[2]);
using var txKey = PrivateKey.Parse(args[3]);
await using var journal = LiteDbChannelStore.Open(args[4]);
var options = new EthereumAdjudicatorOptions
{
    PollInterval = TimeSpan.FromMilliseconds(20),
    ReceiptTimeout = TimeSpan.FromSeconds(60),
    RpcTimeout = TimeSpan.FromSeconds(10),
    RpcRetryDelay = TimeSpan.FromMilliseconds(50),
};
try
{
    var adjudicator = await EthereumAdjudicator.ConnectAsync(rpc, adjudicatorAddress, txKey, options, journal);
    switch (args[0])
    {
        case "register":
            using (var key0 = PrivateKey.Parse(args[5]))
            using (var key1 = PrivateKey.Parse(args[6]))
            {
                var channel = new ChannelParams(
                    key0.Address, key1.Address, EthAddress.Zero, ulong.Parse(args[10], CultureInfo.InvariantCulture), Hash32.Parse(args[7]),
                    Amount.Parse(args[8]), Amount.Parse(args[9]));
                var id = Eip712.ComputeChannelId(adjudicator.Domain, channel);
                var state = new ChannelState(id, ulong.Parse(args[11], CultureInfo.InvariantCulture), Amount.Parse(args[12]), Amount.Parse(args[13]), IsFinal: false);
                var digest = Eip712.HashState(adjudicator.Domain, state);
                await adjudicator.RegisterAsync(channel, new SignedState(state, key0.Sign(digest), key1.Sign(digest)));
            }

            break;
        case "withdraw":
            await adjudicator.WithdrawAsync(EthAddress.Zero);
            break;
        default:
            Console.Error.WriteLine($"unknown command {args[0]}");
            return 2;
    }

    Console.WriteLine("done");
    return 0;
}
catch (StateChannelException e)
{
    Console.WriteLine($"error {e.Code} {e.Message}");
    return 1;
}
