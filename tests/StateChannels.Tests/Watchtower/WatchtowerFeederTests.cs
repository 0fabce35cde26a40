using System.Runtime.CompilerServices;
using Microsoft.Extensions.Time.Testing;
using StateChannels.Testing;

namespace StateChannels.Tests.Watchtower;

/// <summary>The feeder's periodic resync: a newer state whose event never reached the feeder still gets to the tower.</summary>
public sealed class WatchtowerFeederTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private static readonly Eip712Domain Domain = new(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"));

    [Fact]
    public async Task Feeder_StateChangedWithoutAnEvent_SentAtTheNextResync()
    {
        using var alice = PrivateKey.Create();
        using var bob = PrivateKey.Create();
        using var gas = PrivateKey.Create();
        var chain = new SimulatedChain(Domain);
        var tower = await WatchtowerService.CreateAsync(new WatchtowerOptions(), new InMemoryChannelStore(), chain.For(gas.Address), chain.Events);
        var p = new ChannelParams(alice.Address, bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 1_000, 1_000);
        var channel = new QuietChannel(p, Sign(p, 1, alice, bob));
        var client = new QuietClient(channel);
        var time = new FakeTimeProvider();
        var pair = InMemoryTransport.CreatePair(alice.Address, gas.Address);
        using var stop = new CancellationTokenSource();
        var serve = tower.RunConnectionAsync(pair.Second, stop.Token);
        var feeder = new WatchtowerFeeder(client, pair.First, resyncInterval: TimeSpan.FromSeconds(10), timeProvider: time);
        var feeding = feeder.RunAsync(stop.Token);
        await feeder.WhenAcknowledgedAsync(channel.Id, 1).WaitAsync(Limit);

        channel.Current = Sign(p, 2, alice, bob); // no event announces it
        var acknowledged = feeder.WhenAcknowledgedAsync(channel.Id, 2);
        var until = DateTime.UtcNow + Limit;
        while (!acknowledged.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < until, "version 2 never reached the tower");
            time.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(10);
        }

        Assert.Equal(2UL, tower.GetLatest(channel.Id)!.State.Version);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => feeding);
        await serve;
    }

    private static SignedState Sign(ChannelParams p, ulong version, PrivateKey a, PrivateKey b)
    {
        var state = new ChannelState(Eip712.ComputeChannelId(Domain, p), version, 1_000 - version, 1_000 + version, false);
        var digest = Eip712.HashState(Domain, state);
        return new SignedState(state, a.Sign(digest), b.Sign(digest));
    }

    /// <summary>A channel handle whose state the test sets.</summary>
    private sealed class QuietChannel(ChannelParams p, SignedState initial) : Channel
    {
        public SignedState Current { get; set; } = initial;

        public override ChannelId Id => Eip712.ComputeChannelId(Domain, p);

        public override ChannelParams Params => p;

        public override SignedState? Latest => Current;
    }

    /// <summary>A client with one channel and an event stream that never says anything (as if every event was dropped).</summary>
    private sealed class QuietClient(QuietChannel channel) : StateChannelClient
    {
        public override IReadOnlyCollection<Channel> Channels => [channel];

        public override Channel GetChannel(ChannelId id) => id == channel.Id ? channel : throw new KeyNotFoundException();

        public override async IAsyncEnumerable<ChannelEvent> EventsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            yield break;
        }
    }
}
