using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// A connection re-establishes the channels it finds when it starts. A channel opened on that
/// connection while it was still doing so (the opener's open right after "connected") must not be
/// re-established by it: the reestablish unsynced the new channel (the peer, already in step, sends
/// no answer) and, mid-open, left it waiting for a Confirm of its own proposal, so its payments
/// waited forever (found by the crash tests: a restarted opener's payments hung after the open).
/// </summary>
public sealed class ConnectionStartRaceTests : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private Party _alice = null!;
    private Party _bob = null!;

    public async Task InitializeAsync()
    {
        _alice = await Party.CreateAsync("alice", _chain);
        _bob = await Party.CreateAsync("bob", _chain);
    }

    public async Task DisposeAsync()
    {
        await _alice.DisposeAsync();
        await _bob.DisposeAsync();
    }

    [Fact]
    public async Task ChannelOpenedOnAConnection_ReachedByThatConnectionsStart_KeepsPaying()
    {
        Party.Connect(_alice, _bob);
        var a = await _alice.Client.OpenChannelAsync(_bob.Address, 1_000, 1_000).WaitAsync(Limit);
        var b = _bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Phase == ChannelPhase.Active);

        // The connection's start reaches the channel opened on it (as in the race), on one side at
        // a time: the peer's connection is not starting, so it sends no reestablish of its own.
        await a.Machine.OnConnectedAsync(_alice.Client.SessionWith(_bob.Address)!).WaitAsync(Limit);
        await a.PayAsync(3).WaitAsync(Limit);
        await b.Machine.OnConnectedAsync(_bob.Client.SessionWith(_alice.Address)!).WaitAsync(Limit);
        await b.PayAsync(1).WaitAsync(Limit);
        await WaitUntilAsync(() => a.Latest!.State.Version == 2 && b.Latest!.State.Version == 2);
        Assert.Equal(a.Latest, b.Latest);
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
}
