using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>One connection carries many channels: a channel waiting on its store does not hold up the others.</summary>
public sealed class ConnectionDispatchTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task PayAsync_PeerStoreBlockedForOneChannel_OtherChannelOnSameConnectionCompletes()
    {
        var chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
        var bobStore = new GatedStore(new InMemoryChannelStore());
        await using var alice = await Party.CreateAsync("alice", chain);
        await using var bob = await Party.CreateAsync("bob", chain, bobStore);
        Party.Connect(alice, bob);
        var x = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 0).WaitAsync(Limit);
        var y = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 0).WaitAsync(Limit);
        await WaitUntilAsync(() => bob.Client.GetChannel(x.Id).Phase == ChannelPhase.Active && bob.Client.GetChannel(y.Id).Phase == ChannelPhase.Active);

        // Bob's next write for channel x hangs (a slow disk for that one record); y shares the connection.
        var release = bobStore.Block(x.Id);
        var stuck = x.PayAsync(10);
        try
        {
            await bobStore.Blocked.Task.WaitAsync(Limit);
            var receipt = await y.PayAsync(20).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(1UL, receipt.Version);
            Assert.False(stuck.IsCompleted);
        }
        finally
        {
            release.TrySetResult(); // also when failing: the parties' disposal waits for the connection to end
        }

        var first = await stuck.WaitAsync(Limit);
        Assert.Equal(1UL, first.Version);
        await WaitUntilAsync(() => bob.Client.GetChannel(x.Id).Latest?.State.Version == 1 && bob.Client.GetChannel(y.Id).Latest?.State.Version == 1);
        Assert.Equal(new Amount(10), bob.Client.GetChannel(x.Id).MyBalance);
        Assert.Equal(new Amount(20), bob.Client.GetChannel(y.Id).MyBalance);
    }

    [Fact]
    public async Task PayAsync_ManyChannelsOneConnectionConcurrently_EveryPaymentLandsOnItsChannel()
    {
        var chain = new SimulatedChain(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
        await using var alice = await Party.CreateAsync("alice", chain);
        await using var bob = await Party.CreateAsync("bob", chain);
        Party.Connect(alice, bob);
        var channels = new List<Channel>();
        for (var i = 0; i < 8; i++)
        {
            channels.Add(await alice.Client.OpenChannelAsync(bob.Address, 10_000, 0).WaitAsync(Limit));
        }

        await WaitUntilAsync(() => channels.All(c => bob.Client.GetChannel(c.Id).Phase == ChannelPhase.Active));
        var payments = Enumerable.Range(0, 400).Select(i => channels[i % channels.Count].PayAsync((ulong)(1 + (i % 5)))).ToList();
        await Task.WhenAll(payments).WaitAsync(Limit);

        for (var c = 0; c < channels.Count; c++)
        {
            var expected = Enumerable.Range(0, 400).Where(i => i % channels.Count == c).Sum(i => 1 + (i % 5));
            var bobSide = bob.Client.GetChannel(channels[c].Id);
            await WaitUntilAsync(() => bobSide.Latest == channels[c].Latest);
            Assert.Equal(new Amount((ulong)expected), bobSide.MyBalance);
            Assert.Equal(new Amount(10_000UL - (ulong)expected), channels[c].MyBalance);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    /// <summary>A store whose writes for one channel can be held until released.</summary>
    private sealed class GatedStore(IChannelStore inner) : DelegatingStore(inner)
    {
        private ChannelId? _blocked;
        private TaskCompletionSource? _release;

        public TaskCompletionSource Blocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Block(ChannelId id)
        {
            _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _blocked = id;
            return _release;
        }

        public override async ValueTask WriteAsync(StoreBatch batch, CancellationToken cancellationToken = default)
        {
            if (_blocked is { } id && _release is { } release && batch.Channels.Any(r => r.Id == id))
            {
                Blocked.TrySetResult();
                await release.Task.WaitAsync(cancellationToken);
            }

            await Inner.WriteAsync(batch, cancellationToken);
        }
    }
}
