namespace StateChannels;

/// <summary>
/// A state with both participants' signatures: what the adjudicator accepts
/// (<c>Adjudicator.register</c> / <c>close</c>). Immutable.
/// </summary>
/// <param name="State">The state.</param>
/// <param name="Sig0">Participant 0's EIP-712 signature over <paramref name="State"/>.</param>
/// <param name="Sig1">Participant 1's EIP-712 signature over <paramref name="State"/>.</param>
public sealed record SignedState(ChannelState State, Signature Sig0, Signature Sig1)
{
    /// <summary>The signature of participant <paramref name="index"/> (0 or 1).</summary>
    public Signature SignatureOf(int index) => index switch
    {
        0 => Sig0,
        1 => Sig1,
        _ => throw new ArgumentOutOfRangeException(nameof(index), index, "participant index is 0 or 1"),
    };
}
