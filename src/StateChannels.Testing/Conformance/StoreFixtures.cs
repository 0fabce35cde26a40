namespace StateChannels.Testing.Conformance;

/// <summary>
/// Channel records and signed states to store. Signatures are well-formed (low s, v = 27) but sign
/// nothing: stores never verify signatures, the engine does on load.
/// </summary>
public static class StoreFixtures
{
    /// <summary>Each participant's funding in every fixture channel.</summary>
    public const ulong Funding = 1_000_000;

    /// <summary>The EIP-712 domain of every fixture channel.</summary>
    public static Eip712Domain Domain { get; } = new(31337, Address(0xAD));

    /// <summary>A fixed address made from <paramref name="seed"/>.</summary>
    public static EthAddress Address(byte seed)
    {
        var bytes = new byte[EthAddress.Length];
        bytes.AsSpan().Fill(seed);
        bytes[0] = 0x10;
        return EthAddress.FromBytes(bytes);
    }

    /// <summary>A new channel (random nonce, so a new id) at phase Active with no state yet.</summary>
    public static ChannelRecord NewChannel(int myIndex = 0)
    {
        var parameters = new ChannelParams(
            Address(0xA1), Address(0xB2), EthAddress.Zero, 3600, Hash32.CreateRandom(), Funding, Funding);
        return new ChannelRecord
        {
            Id = Eip712.ComputeChannelId(Domain, parameters),
            Params = parameters,
            Domain = Domain,
            MyIndex = myIndex,
            Phase = ChannelPhase.Active,
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000),
        };
    }

    /// <summary>A fully signed state of the channel at a version; <paramref name="variant"/> makes a different state at the same version.</summary>
    public static SignedState Signed(ChannelId id, ulong version, ulong variant = 0)
    {
        ulong moved = (version + variant) % Funding;
        var state = new ChannelState(id, version, Funding - moved, Funding + moved, IsFinal: false);
        return new SignedState(state, FakeSignature(version, 0, variant), FakeSignature(version, 1, variant));
    }

    /// <summary>The record after a payment: <paramref name="latest"/> fully signed, our last signature on <paramref name="lastSigned"/> (default: the same state).</summary>
    public static ChannelRecord At(this ChannelRecord record, SignedState latest, SignedState? lastSigned = null)
    {
        SignedState signed = lastSigned ?? latest;
        return record with
        {
            Latest = latest,
            LastSigned = new SignIntent(signed.State, Hash32.FromBytes(Filled(0x5D, signed.State.Version)), signed.Sig0),
            UpdatedAt = record.UpdatedAt.AddMilliseconds(1),
        };
    }

    private static Signature FakeSignature(ulong version, byte who, ulong variant)
    {
        byte[] bytes = new byte[Signature.Length];
        Filled((byte)(0x11 + who), version + variant).CopyTo(bytes, 0);
        Filled((byte)(0x21 + who), version + variant).CopyTo(bytes, 32);
        bytes[0] = 0x3A; // r < n
        bytes[32] = 0x2B; // s < n/2 (low s)
        bytes[64] = 27;
        return Signature.FromBytes(bytes);
    }

    private static byte[] Filled(byte fill, ulong salt)
    {
        var bytes = new byte[32];
        bytes.AsSpan().Fill(fill);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(24), salt);
        return bytes;
    }
}
