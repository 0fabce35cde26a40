using System.Collections.Concurrent;
using StateChannels.Net.Framing;
using StateChannels.Net.Tests.Support;
using StateChannels.Net.WebSockets.Tests.Support;
using StateChannels.Testing;

namespace StateChannels.Net.WebSockets.Tests;

/// <summary>Two StateChannelClients on the simulated chain, paying each other through Kestrel over the encrypted WebSocket transport.</summary>
public sealed class WebSocketPaymentTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static StateChannelClientOptions Fast() => new()
    {
        ChainPollInterval = TimeSpan.FromMilliseconds(5),
        MaxAcceptedFunding = new Amount(1_000_000),
    };

    [Fact]
    public async Task Pay_AliceDialsBobsHub_BothPayEachOtherAndAgree()
    {
        await using var parties = await Parties.StartAsync();
        Channel channel = await parties.Alice.OpenChannelAsync(parties.BobId.Address, 1_000, 500).WaitAsync(Limit);

        for (int i = 0; i < 20; i++)
        {
            await channel.PayAsync(10).WaitAsync(Limit);
        }

        Channel bobs = parties.Bob.GetChannel(channel.Id);
        for (int i = 0; i < 5; i++)
        {
            await bobs.PayAsync(7).WaitAsync(Limit);
        }

        await WaitUntilAsync(() => channel.Latest?.State.Version == bobs.Latest?.State.Version);
        Assert.Equal(new Amount(1_000 - 200 + 35), channel.MyBalance);
        Assert.Equal(new Amount(500 + 200 - 35), bobs.MyBalance);
        Assert.Equal(channel.Latest!.State.Version, bobs.Latest!.State.Version);
        Assert.Single(parties.ServedConnections);
        Assert.NotNull(parties.ServedConnections.Single().PeerNoiseKey);
    }

    [Fact]
    public async Task Receive_TamperedCiphertextFromAlicesKey_ConnectionDroppedAndNoChannelStateChanges()
    {
        await using var parties = await Parties.StartAsync();
        Channel channel = await parties.Alice.OpenChannelAsync(parties.BobId.Address, 1_000, 0).WaitAsync(Limit);
        await channel.PayAsync(10).WaitAsync(Limit);
        Channel bobs = parties.Bob.GetChannel(channel.Id);
        await WaitUntilAsync(() => bobs.Latest?.State.Version == channel.Latest?.State.Version);
        ulong version = bobs.Latest!.State.Version;
        Amount balance = bobs.MyBalance;

        // Someone holding Alice's key opens a second session, then sends a proposal-sized message with a flipped bit.
        await using RawPeer raw = await parties.Hub.ConnectRawAsync();
        await raw.AuthenticateAsync(parties.AliceId);
        await WaitUntilAsync(() => parties.ServedConnections.Count == 2);
        WebSocketMessageConnection served = parties.ServedConnections.Last();
        byte[] wire = raw.Seal(FrameFormat.Encode(FrameKind.Data, new byte[200]));
        wire[^1] ^= 0x80;
        await raw.SendWireAsync(wire);

        await served.Completion.WaitAsync(Limit);
        Assert.Equal(CloseReason.DecryptionFailed, served.Inner.CloseReason);
        Assert.Equal(version, bobs.Latest!.State.Version);
        Assert.Equal(balance, bobs.MyBalance);

        // Truncated: half a message, then the WebSocket ends.
        await using RawPeer cut = await parties.Hub.ConnectRawAsync();
        await cut.AuthenticateAsync(parties.AliceId);
        await WaitUntilAsync(() => parties.ServedConnections.Count == 3);
        WebSocketMessageConnection cutServed = parties.ServedConnections.Last();
        byte[] whole = cut.Seal(FrameFormat.Encode(FrameKind.Data, new byte[200]));
        await cut.SendWireAsync(whole[..100]);
        await cut.DisposeAsync();

        await cutServed.Completion.WaitAsync(Limit);
        Assert.Equal(CloseReason.ConnectionLost, cutServed.Inner.CloseReason);
        Assert.Equal(version, bobs.Latest!.State.Version);
        Assert.Equal(balance, bobs.MyBalance);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        DateTime until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    /// <summary>Bob runs a Kestrel hub with his client behind MapStateChannels; Alice dials it.</summary>
    private sealed class Parties : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private Task _aliceConnection = Task.CompletedTask;

        private Parties(SimulatedChain chain, Identity aliceId, Identity bobId)
        {
            AliceId = aliceId;
            BobId = bobId;
            Chain = chain;
        }

        public Identity AliceId { get; }

        public Identity BobId { get; }

        public SimulatedChain Chain { get; }

        public StateChannelClient Alice { get; private set; } = null!;

        public StateChannelClient Bob { get; private set; } = null!;

        public KestrelHub Hub { get; private set; } = null!;

        public ConcurrentQueue<WebSocketMessageConnection> ServedConnections { get; } = new();

        public static async Task<Parties> StartAsync()
        {
            var parties = new Parties(new SimulatedChain(Identity.Domain), new Identity(), new Identity());
            parties.Alice = await StateChannelClient.CreateAsync(Fast(), parties.AliceId.Signer, new InMemoryChannelStore(), parties.Chain.For(parties.AliceId.Address));
            parties.Bob = await StateChannelClient.CreateAsync(Fast(), parties.BobId.Signer, new InMemoryChannelStore(), parties.Chain.For(parties.BobId.Address));
            parties.Hub = await KestrelHub.StartAsync(TestOptions.Fast(), parties.BobId, (connection, ct) =>
            {
                parties.ServedConnections.Enqueue(connection);
                return parties.Bob.RunConnectionAsync(connection, ct);
            });
            var dialer = new WebSocketChannelDialer(parties.AliceId.Signer, Identity.Domain, TestOptions.Fast());
            WebSocketMessageConnection connection = await dialer.ConnectAsync(parties.Hub.PeerAddress, parties.BobId.Address);
            parties._aliceConnection = parties.ServeAliceAsync(connection);
            return parties;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await Alice.DisposeAsync();
            await Bob.DisposeAsync();
            await _aliceConnection.WaitAsync(Limit);
            await Hub.DisposeAsync();
            AliceId.Dispose();
            _stop.Dispose();
        }

        private async Task ServeAliceAsync(WebSocketMessageConnection connection)
        {
            try
            {
                await Alice.RunConnectionAsync(connection, _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
            finally
            {
                await connection.DisposeAsync();
            }
        }
    }
}
