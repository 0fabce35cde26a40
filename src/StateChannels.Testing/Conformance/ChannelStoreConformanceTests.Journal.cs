using Xunit;
#pragma warning disable CS1591 // the suite's test methods: each name says what it checks

namespace StateChannels.Testing.Conformance;

/// <content>The <see cref="ITransactionJournal"/> contract, for stores that implement it (both shipped stores do).</content>
public abstract partial class ChannelStoreConformanceTests
{
    /// <summary>Damages the stored bytes of a journal entry (checksum no longer matches); returns the store to read it back from.</summary>
    protected abstract Task<IChannelStore> CorruptJournalEntryAsync(IChannelStore store, string key);

    [Fact]
    public async Task Journal_PutThenGet_RoundTripsAndSurvivesReopen()
    {
        IChannelStore store = await OpenAsync();
        await Journal(store).PutEntryAsync("tx/1/a", new byte[] { 1, 2, 3 });
        await Journal(store).PutEntryAsync("tx/1/a", new byte[] { 4, 5 });

        Assert.Equal(new byte[] { 4, 5 }, await Journal(store).GetEntryAsync("tx/1/a"));
        store = Track(await ReopenAsync(store));
        Assert.Equal(new byte[] { 4, 5 }, await Journal(store).GetEntryAsync("tx/1/a"));
        Assert.Null(await Journal(store).GetEntryAsync("tx/1/b"));
    }

    [Fact]
    public async Task Journal_GetEntries_ReturnsExactlyThePrefixInOrdinalOrder()
    {
        IChannelStore store = await OpenAsync();
        foreach (string key in (string[])["tx/2/b", "tx/1/z", "tx/2/a", "tx/20/a", "TX/2/c", "tx/2", "tx/2/é"])
        {
            await Journal(store).PutEntryAsync(key, new byte[] { (byte)key.Length });
        }

        List<JournalEntry> entries = await ToListAsync(Journal(store).GetEntriesAsync("tx/2/"));

        Assert.Equal(["tx/2/a", "tx/2/b", "tx/2/é"], entries.Select(e => e.Key));
        Assert.Equal(new byte[] { 6 }, entries[0].Value);
        Assert.Equal(7, (await ToListAsync(Journal(store).GetEntriesAsync(""))).Count);
    }

    [Fact]
    public async Task Journal_Delete_RemovesDurablyAndUnknownKeyIsNoOp()
    {
        IChannelStore store = await OpenAsync();
        await Journal(store).PutEntryAsync("k1", new byte[] { 1 });
        await Journal(store).PutEntryAsync("k2", new byte[] { 2 });

        await Journal(store).DeleteEntryAsync("k1");
        await Journal(store).DeleteEntryAsync("never-written");
        store = Track(await ReopenAsync(store));

        Assert.Null(await Journal(store).GetEntryAsync("k1"));
        Assert.Equal(new byte[] { 2 }, await Journal(store).GetEntryAsync("k2"));
    }

    [Fact]
    public async Task Journal_CorruptEntry_ThrowsStorageFailureNotWrongBytes()
    {
        IChannelStore store = await OpenAsync();
        await Journal(store).PutEntryAsync("tx/x", new byte[] { 10, 20, 30, 40 });

        store = Track(await CorruptJournalEntryAsync(store, "tx/x"));

        var single = await Assert.ThrowsAsync<StateChannelException>(async () => await Journal(store).GetEntryAsync("tx/x"));
        Assert.Equal(ErrorCode.StorageFailure, single.Code);
        var listed = await Assert.ThrowsAsync<StateChannelException>(async () => await ToListAsync(Journal(store).GetEntriesAsync("tx/")));
        Assert.Equal(ErrorCode.StorageFailure, listed.Code);
    }

    [Fact]
    public async Task Journal_BadArguments_ThrowArgumentExceptions()
    {
        IChannelStore store = await OpenAsync();

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Journal(store).PutEntryAsync("", new byte[] { 1 }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Journal(store).GetEntryAsync(new string('k', ITransactionJournal.MaxKeyLength + 1)));
        await Assert.ThrowsAnyAsync<ArgumentException>(
            async () => await Journal(store).PutEntryAsync("k", new byte[ITransactionJournal.MaxValueLength + 1]));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await Journal(store).DeleteEntryAsync(null!));
    }

    [Fact]
    public async Task Journal_CancelledBefore_ThrowsOperationCanceledAndWritesNothing()
    {
        IChannelStore store = await OpenAsync();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await Journal(store).PutEntryAsync("k", new byte[] { 1 }, cts.Token));

        Assert.Null(await Journal(store).GetEntryAsync("k"));
    }

    private static ITransactionJournal Journal(IChannelStore store) =>
        Assert.IsAssignableFrom<ITransactionJournal>(store);
}
