using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Bob proposes; Alice (raw messages) answers. Bob computes his own signature while he checks
/// Alice's (managed secp256k1, the default here): it leaves only in his Confirm, after both the
/// check and the store write, and never for an Accept that does not verify.
/// </summary>
public sealed class ProposerAcceptTests : IAsyncLifetime
{
    private readonly InMemoryChannelStore _store = new();
    private RawPeer _peer = null!;

    public async Task InitializeAsync() => _peer = await RawPeer.OpenAsync(_store);

    public async Task DisposeAsync() => await _peer.DisposeAsync();

    [Fact]
    public async Task Accept_Valid_ConfirmCarriesBobsSignatureOnTheStoredState()
    {
        var payment = _peer.Bob.PayAsync(3);
        var propose = await _peer.ReceiveAsync<ProposeUpdate>();
        Assert.Equal(2UL, propose.State.Version);
        await _peer.SendAsync(new AcceptUpdate(_peer.Id, 2, _peer.Sign(propose.State)));

        var confirm = await _peer.ReceiveAsync<ConfirmUpdate>();
        Assert.True(Ecdsa.Verify(Eip712.HashState(_peer.Chain.Domain, propose.State), confirm.Signature, _peer.BobParty.Address));
        var receipt = await payment.WaitAsync(RawPeer.Limit);
        Assert.Equal(2UL, receipt.Version);
        var stored = await _store.GetChannelAsync(_peer.Id);
        Assert.Equal(propose.State, stored!.Latest!.State);
        Assert.Equal(confirm.Signature, stored.Latest.Sig1);
        Assert.Equal(confirm.Signature, stored.LastSigned!.Signature);
    }

    [Fact]
    public async Task Accept_WithForgedSignature_NoConfirmNothingStoredConnectionDropped()
    {
        var before = await _store.GetChannelAsync(_peer.Id);
        var payment = _peer.Bob.PayAsync(3);
        var propose = await _peer.ReceiveAsync<ProposeUpdate>();
        using var stranger = PrivateKey.Create();
        await _peer.SendAsync(new AcceptUpdate(_peer.Id, 2, stranger.Sign(Eip712.HashState(_peer.Chain.Domain, propose.State))));

        // Bob hangs up; his signature on version 2 never left, and nothing was stored or signed.
        await _peer.AssertHungUpWithoutAsync<ConfirmUpdate>();
        Assert.False(payment.IsCompletedSuccessfully);
        var after = await _store.GetChannelAsync(_peer.Id);
        Assert.Equal(before!.Latest, after!.Latest);
        Assert.Equal(1UL, after.LastSigned!.State.Version);
        Assert.Equal(1UL, _peer.Bob.Latest!.State.Version);
    }
}
