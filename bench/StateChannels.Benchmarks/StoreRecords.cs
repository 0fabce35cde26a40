namespace StateChannels.Benchmarks;

/// <summary>
/// What the proposer writes per update (ChannelMachine: the record with the new fully signed
/// latest state and its sign intent, plus the state appended to history). The signatures are real
/// ones over <see cref="Fixtures.State"/>, reused at every version: a store never verifies them,
/// and their bytes cost the same.
/// </summary>
internal static class StoreRecords
{
    private static readonly Signature Sig0 = Fixtures.Alice.Sign(Fixtures.Digest);
    private static readonly Signature Sig1 = Fixtures.Bob.Sign(Fixtures.Digest);

    public static ChannelRecord Record(ChannelId id, ChannelParams parameters, ulong version)
    {
        ChannelState state = Fixtures.StateAt(version) with { ChannelId = id };
        return new ChannelRecord
        {
            Id = id,
            Params = parameters,
            Domain = Fixtures.Domain,
            MyIndex = 0,
            Phase = ChannelPhase.Active,
            Latest = new SignedState(state, Sig0, Sig1),
            LastSigned = new SignIntent(state, Fixtures.Digest, Sig0),
            PeerSignedVersion = version,
            UpdatedAt = DateTimeOffset.UnixEpoch.AddSeconds(version),
        };
    }

    public static StoreBatch Update(ChannelId id, ChannelParams parameters, ulong version)
    {
        ChannelRecord record = Record(id, parameters, version);
        return StoreBatch.Of(record, record.Latest!);
    }
}
