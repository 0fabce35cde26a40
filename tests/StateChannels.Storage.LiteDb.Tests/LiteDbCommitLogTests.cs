using static StateChannels.Testing.Conformance.StoreFixtures;

namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>
/// The commit log: what makes a write durable (one flushed frame), and what an open does with it
/// after a crash (replay the current generation; ignore torn, stale or foreign frames; refuse a
/// data file that vanished beside it; create it for a store that has none).
/// </summary>
public sealed class LiteDbCommitLogTests : IDisposable
{
    private static readonly string SimulatedPath = Path.Combine(Path.GetTempPath(), "simulated-commit-log", "client.db");

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task PowerLoss_WithNothingOfLiteDbsLogOnTheDevice_ReplaysEveryAcknowledgedWriteFromTheCommitLog()
    {
        var disk = new SimulatedDisk();
        ChannelRecord channel = NewChannel();
        LiteDbChannelStore store = LiteDbChannelStore.Open(SimulatedPath, new LiteDbStoreOptions { FileOpener = disk.Opener });
        for (ulong v = 0; v < 10; v++)
        {
            SignedState state = Signed(channel.Id, v);
            await store.WriteAsync(StoreBatch.Of(channel.At(state), state));
        }

        await store.SetCursorAsync("watcher", 7);
        await store.PutEntryAsync("eth-tx/1/a", new byte[] { 1, 2, 3 });
        await store.PutEntryAsync("eth-tx/1/b", new byte[] { 4 });
        await store.DeleteEntryAsync("eth-tx/1/a");
        await store.PruneHistoryAsync(channel.Id, 3);
        Assert.Equal(0, store.Syncs);

        // Every unflushed write is lost: LiteDB's log since the store opened never reached the device.
        SimulatedDisk rebooted = disk.PowerLoss(new DropEverything());
        await DisposeQuietlyAsync(store);

        await using LiteDbChannelStore reopened = LiteDbChannelStore.Open(SimulatedPath, new LiteDbStoreOptions { FileOpener = rebooted.Opener });
        Assert.Equal(channel.At(Signed(channel.Id, 9)), await reopened.GetChannelAsync(channel.Id));
        Assert.Null(await reopened.GetStateAsync(channel.Id, 2));
        for (ulong v = 3; v < 10; v++)
        {
            Assert.Equal(Signed(channel.Id, v), await reopened.GetStateAsync(channel.Id, v));
        }

        Assert.Equal(7UL, await reopened.GetCursorAsync("watcher"));
        Assert.Null(await reopened.GetEntryAsync("eth-tx/1/a"));
        Assert.Equal([4], await reopened.GetEntryAsync("eth-tx/1/b"));
    }

    [Fact]
    public async Task Reopen_AfterCrashes_AcrossSyncsAndWrapArounds_KeepsEveryWrite()
    {
        // A small commit log and checkpoint threshold: many generations, each reopened "after a
        // crash" (the store is never disposed, so its last generation is replayed every time).
        var disk = new SimulatedDisk();
        var options = new LiteDbStoreOptions { FileOpener = disk.Opener, CommitLogBytes = 64 * 1024, CheckpointPages = 8 };
        ChannelRecord[] channels = Enumerable.Range(0, 4).Select(_ => NewChannel()).ToArray();
        ulong next = 0;
        for (int crash = 0; crash < 5; crash++)
        {
            LiteDbChannelStore store = LiteDbChannelStore.Open(SimulatedPath, options);
            for (int i = 0; i < 40; i++, next++)
            {
                await Task.WhenAll(channels.Select(c => store.WriteAsync(StoreBatch.Of(c.At(Signed(c.Id, next)), Signed(c.Id, next))).AsTask()));
            }

            Assert.True(store.Syncs > 0, "the commit log never wrapped");
            SimulatedDisk rebooted = disk.PowerLoss(new DropEverything());
            await DisposeQuietlyAsync(store);
            disk = rebooted;
            options = new LiteDbStoreOptions { FileOpener = disk.Opener, CommitLogBytes = 64 * 1024, CheckpointPages = 8 };
        }

        await using LiteDbChannelStore last = LiteDbChannelStore.Open(SimulatedPath, options);
        foreach (ChannelRecord c in channels)
        {
            Assert.Equal(c.At(Signed(c.Id, next - 1)), await last.GetChannelAsync(c.Id));
            for (ulong v = 0; v < next; v++)
            {
                Assert.Equal(Signed(c.Id, v), await last.GetStateAsync(c.Id, v));
            }
        }
    }

    [Fact]
    public async Task TornLastFrame_IsIgnored_AndEarlierFramesReplay()
    {
        ChannelRecord channel = NewChannel();
        SimulatedDisk disk = await CrashAfterVersionsAsync(channel, 3);

        // Flip a byte inside the last frame, as if the power went while it was being written.
        disk.Edit(CommitsPath, image =>
        {
            int lastFrame = FrameOffsets(image).Last();
            image[lastFrame + CommitLog.FrameHeaderSize + 3] ^= 0x20;
            return image;
        });

        await using LiteDbChannelStore reopened = LiteDbChannelStore.Open(SimulatedPath, new LiteDbStoreOptions { FileOpener = disk.Opener });
        Assert.Equal(channel.At(Signed(channel.Id, 1)), await reopened.GetChannelAsync(channel.Id));
        Assert.Null(await reopened.GetStateAsync(channel.Id, 2));
    }

    [Fact]
    public void Scan_StopsAtAnOlderGenerationsLeftovers()
    {
        string path = _directory.File("log.bin");
        using (var file = new FileStream(path, FileMode.Create))
        {
            CommitLog log = CommitLog.Create(file, 64 * 1024);
            for (int i = 0; i < 5; i++)
            {
                log.Append(CommitLog.FrameKind.Changes, new byte[100 + i]);
            }

            log.StartGeneration();
            log.Append(CommitLog.FrameKind.Changes, new byte[7]);
        }

        using var reopened = new FileStream(path, FileMode.Open);
        Assert.True(CommitLog.TryOpen(reopened, out CommitLog? again, out CommitLog.Recovery recovery));
        Assert.Equal([7], recovery.Changes.Select(c => c.Length));
        Assert.False(recovery.EndsSynced);
        Assert.NotNull(again);
    }

    [Fact]
    public void Scan_OfAFileWithoutAValidHeader_ReportsNone()
    {
        using var empty = new MemoryStream();
        Assert.False(CommitLog.TryOpen(empty, out _, out _));

        using var garbage = new MemoryStream(new byte[64 * 1024]);
        Assert.False(CommitLog.TryOpen(garbage, out _, out _));
    }

    [Fact]
    public async Task Open_DataFileGoneWhileTheCommitLogExists_ThrowsStorageFailure()
    {
        SimulatedDisk disk = await CrashAfterVersionsAsync(NewChannel(), 2);
        disk.Delete(SimulatedPath);
        disk.Delete(Path.Combine(Path.GetDirectoryName(SimulatedPath)!, "client-log.db"));

        var ex = Assert.Throws<StateChannelException>(() => LiteDbChannelStore.Open(SimulatedPath, new LiteDbStoreOptions { FileOpener = disk.Opener }));
        Assert.Equal(ErrorCode.StorageFailure, ex.Code);
    }

    [Fact]
    public async Task Open_StoreWithoutCommitLog_TrustsLiteDbsLogAndCreatesOne()
    {
        // What an older store looks like: schema 1, writes durable in LiteDB's own log.
        string path = _directory.File("client.db");
        ChannelRecord channel = NewChannel();
        await using (LiteDbChannelStore store = LiteDbChannelStore.Open(path))
        {
            SignedState state = Signed(channel.Id, 0);
            await store.WriteAsync(StoreBatch.Of(channel.At(state), state));
        }

        RawLiteDb.Edit(path, StoreDocuments.Meta, StoreDocuments.MetaId, d => d["schema"] = 1);
        File.Delete(_directory.File("client-commits.db"));

        await using (LiteDbChannelStore upgraded = LiteDbChannelStore.Open(path))
        {
            Assert.Equal(channel.At(Signed(channel.Id, 0)), await upgraded.GetChannelAsync(channel.Id));
            SignedState next = Signed(channel.Id, 1);
            await upgraded.WriteAsync(StoreBatch.Of(channel.At(next), next));
        }

        Assert.True(new FileInfo(_directory.File("client-commits.db")).Length > CommitLog.HeaderSize);
        await using LiteDbChannelStore reopened = LiteDbChannelStore.Open(path);
        Assert.Equal(channel.At(Signed(channel.Id, 1)), await reopened.GetChannelAsync(channel.Id));
    }

    private static string CommitsPath => Path.Combine(Path.GetDirectoryName(SimulatedPath)!, "client-commits.db");

    /// <summary>Writes versions 0..count-1, then "kill -9": the store never closes and every write it made survives (the OS had them).</summary>
    private static async Task<SimulatedDisk> CrashAfterVersionsAsync(ChannelRecord channel, int count)
    {
        var disk = new SimulatedDisk();
        LiteDbChannelStore store = LiteDbChannelStore.Open(SimulatedPath, new LiteDbStoreOptions { FileOpener = disk.Opener });
        for (ulong v = 0; v < (ulong)count; v++)
        {
            SignedState state = Signed(channel.Id, v);
            await store.WriteAsync(StoreBatch.Of(channel.At(state), state));
        }

        SimulatedDisk rebooted = disk.PowerLoss(new KeepEverything());
        await DisposeQuietlyAsync(store);
        return rebooted;
    }

    private static IEnumerable<int> FrameOffsets(byte[] image)
    {
        int at = CommitLog.HeaderSize;
        while (at + CommitLog.FrameOverhead <= image.Length && image[at] == 0x53)
        {
            yield return at;
            at += CommitLog.FrameOverhead + System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(image.AsSpan(at + 24));
        }
    }

    private static async Task DisposeQuietlyAsync(LiteDbChannelStore store)
    {
        try
        {
            await store.DisposeAsync();
        }
        catch (Exception)
        {
            // The simulated disk is gone: closing fails, as it would after a power loss.
        }
    }

    /// <summary>A "random" power loss that keeps every unflushed write: a process crash.</summary>
    private sealed class KeepEverything : Random
    {
        public override int Next(int maxValue) => maxValue - 1;
    }

    /// <summary>A "random" power loss that keeps none of the unflushed writes.</summary>
    private sealed class DropEverything : Random
    {
        public override int Next(int maxValue) => 0;
    }
}

/// <summary>History write-behind: states durable in the commit log wait in memory before LiteDB, and every read sees them.</summary>
public sealed class LiteDbHistoryWriteBehindTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task StatesInMemoryAndInLiteDb_ReadAsOneHistory_InVersionOrder()
    {
        await using LiteDbChannelStore store = Open(flushAfter: 5);
        ChannelRecord channel = NewChannel();
        for (ulong v = 0; v < 13; v++)
        {
            SignedState state = Signed(channel.Id, v);
            await store.WriteAsync(StoreBatch.Of(channel.At(state), state));
        }

        // 13 written, flushed in groups of at least 5: some still wait in memory.
        Assert.InRange(store.PendingHistoryStates, 1, 5);
        List<SignedState> history = await ToListAsync(store.GetHistoryAsync(channel.Id, 0));
        Assert.Equal(Enumerable.Range(0, 13).Select(v => Signed(channel.Id, (ulong)v)), history);
        Assert.Equal(Signed(channel.Id, 12), await store.GetStateAsync(channel.Id, 12));
        Assert.Equal([Signed(channel.Id, 11), Signed(channel.Id, 12)], await ToListAsync(store.GetHistoryAsync(channel.Id, 11)));
    }

    [Fact]
    public async Task DifferentStateAtAVersionStillInMemory_IsRefused()
    {
        await using LiteDbChannelStore store = Open(flushAfter: 100);
        ChannelRecord channel = NewChannel();
        SignedState first = Signed(channel.Id, 4);
        await store.WriteAsync(StoreBatch.Of(channel.At(first), first));
        Assert.Equal(1, store.PendingHistoryStates);

        await store.WriteAsync(new StoreBatch([], [first]));
        var ex = await Assert.ThrowsAsync<StateChannelException>(async () => await store.WriteAsync(new StoreBatch([], [Signed(channel.Id, 4, variant: 1)])));
        Assert.Equal(ErrorCode.StorageFailure, ex.Code);
        Assert.Equal(first, await store.GetStateAsync(channel.Id, 4));
    }

    [Fact]
    public async Task Prune_RemovesStatesStillInMemory_AndCloseFlushesTheRest()
    {
        string path = _directory.File("client.db");
        ChannelRecord channel = NewChannel();
        await using (LiteDbChannelStore store = Open(flushAfter: 100))
        {
            for (ulong v = 0; v < 8; v++)
            {
                SignedState state = Signed(channel.Id, v);
                await store.WriteAsync(StoreBatch.Of(channel.At(state), state));
            }

            await store.PruneHistoryAsync(channel.Id, 5);
            Assert.Equal(0, store.PendingHistoryStates);
            Assert.Null(await store.GetStateAsync(channel.Id, 4));
            SignedState more = Signed(channel.Id, 8);
            await store.WriteAsync(StoreBatch.Of(channel.At(more), more));
            Assert.Equal(1, store.PendingHistoryStates);
        }

        await using LiteDbChannelStore reopened = LiteDbChannelStore.Open(path);
        Assert.Equal(Enumerable.Range(5, 4).Select(v => Signed(channel.Id, (ulong)v)), await ToListAsync(reopened.GetHistoryAsync(channel.Id, 0)));
    }

    [Fact]
    public async Task RecordsInMemoryAndInLiteDb_ListAsOne_WithTheNewestCopyOfEach()
    {
        await using LiteDbChannelStore store = Open(flushAfter: 100);
        ChannelRecord[] channels = Enumerable.Range(0, 300).Select(_ => NewChannel()).ToArray();
        foreach (ChannelRecord c in channels)
        {
            SignedState state = Signed(c.Id, 0);
            await store.WriteAsync(StoreBatch.Of(c.At(state), state));
        }

        // Rewrite a third of them: their newest copy may be in memory while LiteDB holds an older one.
        foreach (ChannelRecord c in channels.Where((_, i) => i % 3 == 0))
        {
            SignedState state = Signed(c.Id, 1);
            await store.WriteAsync(StoreBatch.Of(c.At(state), state));
        }

        Assert.NotEqual(0, store.PendingDocuments.Channels);
        var expected = channels.Select((c, i) => c.At(Signed(c.Id, i % 3 == 0 ? 1UL : 0UL))).ToDictionary(r => r.Id);
        List<ChannelRecord> listed = await ToListAsync(store.GetChannelsAsync());
        Assert.Equal(300, listed.Count);
        Assert.Equal(listed.Select(r => r.Id.ToString()).Order(StringComparer.Ordinal), listed.Select(r => r.Id.ToString()));
        foreach (ChannelRecord record in listed)
        {
            Assert.Equal(expected[record.Id], record);
            Assert.Equal(expected[record.Id], await store.GetChannelAsync(record.Id));
        }
    }

    [Fact]
    public async Task IdleWriter_MovesWaitingDocumentsIntoLiteDb()
    {
        await using LiteDbChannelStore store = Open(flushAfter: 1000);
        ChannelRecord channel = NewChannel();
        SignedState state = Signed(channel.Id, 0);
        await store.WriteAsync(StoreBatch.Of(channel.At(state), state));

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (store.PendingDocuments != (0, 0) && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        Assert.Equal((0, 0), store.PendingDocuments);
        Assert.Equal(channel.At(state), await store.GetChannelAsync(channel.Id));
        Assert.Equal(state, await store.GetStateAsync(channel.Id, 0));
    }

    private LiteDbChannelStore Open(int flushAfter) =>
        LiteDbChannelStore.Open(_directory.File("client.db"), new LiteDbStoreOptions { HistoryFlushStates = flushAfter });

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (T item in items)
        {
            list.Add(item);
        }

        return list;
    }
}

/// <summary>LiteDB's log flushed in the background between syncs.</summary>
public sealed class DurableStreamBackgroundFlushTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void FlushInBackground_RecordsWhatReachedTheDevice_OnlyAboveTheThreshold()
    {
        using var file = new FileStream(_directory.File("log.bin"), FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        using var log = new DurableStream(file, isLog: true, writeAheadLog: null) { CommitBarrier = false };
        log.Write(new byte[StoreDocuments.PageSize * 3]);

        log.FlushInBackground(minUnflushedBytes: StoreDocuments.PageSize * 4);
        Assert.Equal(0, log.DurableEnd);

        log.FlushInBackground(minUnflushedBytes: StoreDocuments.PageSize);
        Assert.Equal(StoreDocuments.PageSize * 3, log.DurableEnd);
    }
}
