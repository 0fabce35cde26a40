using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// A store known to be behind (<see cref="StateChannelClientOptions.RestoredFromBackup"/>) signs
/// nothing of the peer's until the peer's reestablish has synced it: the lost part of the store may
/// hold our signature at the very version proposed, and signing again there is signing twice.
/// </summary>
public sealed class RestoredSigningTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task RestoredStore_PeerProposesBeforeReestablishing_RefusedThenSignedOnceSynced()
    {
        var store = new InMemoryChannelStore();
        await using var peer = await RawPeer.OpenAsync(store);
        var v1 = peer.Bob.Latest!;
        var bobKey = peer.BobParty.Key;
        await peer.BobParty.DisposeAsync();

        var options = Party.FastOptions();
        options.RestoredFromBackup = true;
        await using var restored = await Party.CreateAsync("bob-restored", peer.Chain, store, options, keyOf: bobKey);
        var pair = InMemoryTransport.CreatePair(peer.Alice.Address, restored.Address);
        restored.Serve(pair.Second);

        // Mallory skips the reestablish and proposes at once, on the version Bob's copy ends at.
        var v2 = RawPeer.Pay(v1.State, 1);
        await RawWire.SendAsync(pair.First, new ProposeUpdate(v2, 1));
        var answer = await RawWire.ReceiveAsync(pair.First, m => m is AcceptUpdate or RejectUpdate);
        var refused = Assert.IsType<RejectUpdate>(answer);
        Assert.Equal(ErrorCode.WrongPhase, refused.Code);
        Assert.NotEqual(2UL, (await store.GetChannelAsync(peer.Id))!.LastSigned?.State.Version);

        // Once her reestablish shows nothing newer, Bob's copy is current and he signs.
        await RawWire.SendAsync(pair.First, new Reestablish(peer.Id, v1, null, null));
        await RawWire.SendAsync(pair.First, new ProposeUpdate(v2, 1));
        var accept = await RawWire.ReceiveAsync<AcceptUpdate>(pair.First);
        Assert.Equal(2UL, accept.Version);
    }
}
