using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// Second outside review: attacks by a byzantine peer (Alice played raw by <see cref="RawPeer"/>)
/// against Bob's real engine on the simulated chain. Each test asserts what an honest Bob must get;
/// a red test is a finding.
/// </summary>
public sealed class ReviewAttackTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private static StateChannelClientOptions Options()
    {
        var options = Party.FastOptions();
        options.CloseSubmitDelay = TimeSpan.FromMilliseconds(200);
        options.UpdateTimeout = TimeSpan.FromSeconds(5);
        return options;
    }

    /// <summary>
    /// Mallory asks for a cooperative close (final v2), Bob co-signs it, Mallory withholds her Confirm
    /// and instead pays Bob 50 at v3. Bob accepts and reports the payment received, but Mallory holds
    /// a fully signed final v2 and closes with it at once: the contract pays v2 (no dispute, a final
    /// state concludes immediately), so the 50 Bob "received" at v3 never reaches him.
    /// </summary>
    [Fact]
    public async Task SignedFinalUnconfirmed_PeerThenPaysAtHigherVersion_BobMustNotCountItBecauseFinalClosesFirst()
    {
        await using var peer = await RawPeer.OpenAsync(new InMemoryChannelStore(), Options());
        var v1 = peer.Bob.Latest!.State; // 90 / 110
        var final = v1 with { Version = 2, IsFinal = true };
        await peer.SendAsync(new ProposeUpdate(final, 1));
        var accept = await peer.ReceiveAsync<AcceptUpdate>();
        var fullFinal = new SignedState(final, peer.Sign(final), accept.Signature);

        // No Confirm. A payment to Bob at v3, built on v1.
        var v3 = v1 with { Version = 3, Balance0 = v1.Balance0 - 50, Balance1 = v1.Balance1 + 50 };
        await peer.SendAsync(new ProposeUpdate(v3, 1));
        var answer = await peer.ReceiveAsync(m => m is AcceptUpdate or RejectUpdate);
        if (answer is AcceptUpdate)
        {
            await peer.SendAsync(new ConfirmUpdate(peer.Id, 3, peer.Sign(v3)));
            await Task.Delay(300);
        }

        // Mallory closes with the final v2 she holds.
        await peer.Chain.For(peer.Alice.Address).CloseAsync(peer.Params, fullFinal);
        var paidToBob = peer.Chain.BalanceOf(peer.BobParty.Address, EthAddress.Zero);

        // Whatever Bob counts as received must be what the chain pays him.
        var bobThinks = peer.Bob.Latest!.State.Balance1;
        Assert.True(answer is RejectUpdate, $"Bob signed a payment above a final state he co-signed; he counts {bobThinks}, the chain paid him {paidToBob}");
        Assert.Equal(bobThinks, paidToBob);
    }
}
