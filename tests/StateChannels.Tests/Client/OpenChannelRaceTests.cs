using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// OpenChannelAsync completes only once the channel is Active. It used to complete version 0's
/// proposal before starting the funding task, so a caller resumed on another thread could find no
/// funding task yet and return a channel still in Funding (found by samples/PaymentDemo on a loaded
/// machine: the opener's first PayAsync failed with WrongPhase).
/// </summary>
public sealed class OpenChannelRaceTests : IAsyncLifetime
{
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private Party _alice = null!;
    private Party _bob = null!;

    public async Task InitializeAsync()
    {
        _alice = await Party.CreateAsync("alice", _chain);
        _bob = await Party.CreateAsync("bob", _chain);
        Party.Connect(_alice, _bob);
    }

    public async Task DisposeAsync()
    {
        await _alice.DisposeAsync();
        await _bob.DisposeAsync();
    }

    [Fact]
    public async Task OpenChannelAsync_ManyOpens_EachReturnsAnActiveChannel()
    {
        // The window was a few instructions wide: this does not reproduce it reliably, but guards the contract.
        for (var i = 0; i < 100; i++)
        {
            var channel = await _alice.Client.OpenChannelAsync(_bob.Address, 10, 10).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(channel.Phase == ChannelPhase.Active, $"open #{i} returned a channel in {channel.Phase}");
        }
    }
}
