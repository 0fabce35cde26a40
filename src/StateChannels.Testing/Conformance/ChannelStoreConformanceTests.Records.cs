using Xunit;
using static StateChannels.Testing.Conformance.StoreFixtures;

#pragma warning disable CS1591 // the suite's test methods: each name says what it checks

namespace StateChannels.Testing.Conformance;

/// <content>Record round trips: fields the other tests leave at their defaults (the second mutation audit, C12).</content>
public abstract partial class ChannelStoreConformanceTests
{
    /// <summary>
    /// C12 (audit 2): every field of a channel record survives a reopen, including those the other
    /// round trips leave at their defaults: the fallen-behind mark (a restored backup must stay
    /// unable to dispute after a restart), the highest version the peer signed, and the phase start.
    /// </summary>
    [Fact]
    public async Task Reopen_AfterDispose_KeepsFallenBehindPeerSignedVersionAndPhaseSince()
    {
        IChannelStore store = await OpenAsync();
        ChannelRecord record = await WriteHistoryAsync(store, NewChannel(), 3);
        record = record with
        {
            Phase = ChannelPhase.Disputed,
            FallenBehind = true,
            PeerSignedVersion = 7,
            PhaseSince = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_123_000),
        };
        await store.WriteAsync(StoreBatch.Of(record));

        store = Track(await ReopenAsync(store));

        ChannelRecord? reloaded = await store.GetChannelAsync(record.Id);
        Assert.NotNull(reloaded);
        Assert.True(reloaded.FallenBehind, "the fallen-behind mark was lost by the reopen");
        Assert.Equal(7UL, reloaded.PeerSignedVersion);
        Assert.Equal(record.PhaseSince, reloaded.PhaseSince);
        Assert.Equal(record, reloaded);
    }
}
