using LiteDB;
using LiteDB.Engine;
using static StateChannels.Testing.Conformance.StoreFixtures;

namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>
/// Durability of <see cref="LiteDbChannelStore"/> on a journaled device: every acknowledged write
/// has reached the device in a commit log frame, LiteDB's log reaches it before the data file
/// changes, the data file changes only after a sync is recorded, and a new commit log generation
/// starts only after the data file is on the device (TOOLCHAIN.md, LiteDB 5 trap; THREATS C9).
/// </summary>
public sealed class LiteDbDurabilityTests : IDisposable
{
    private const string Log = "client-log.db";
    private const string Data = "client.db";
    private const string Commits = "client-commits.db";

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void LiteDb5_Alone_InsertReturnsBeforeItsLogIsWritten()
    {
        // Characterises the trap the store exists to close: LiteDB 5 hands a commit's pages to a
        // background writer and returns. On a slow device the call is back before a byte is written.
        var journal = new DeviceJournal();
        Stream data = journal.Opener(_directory.File(Data));
        Stream log = journal.Opener(_directory.File(Log));
        using (var engine = new LiteEngine(new EngineSettings { DataStream = data, LogStream = log }))
        {
            journal.WriteDelay = TimeSpan.FromMilliseconds(300);
            long before = journal.Position;

            engine.Insert("c", [new BsonDocument { ["_id"] = 1, ["v"] = "x" }], BsonAutoId.Int32);

            Assert.DoesNotContain(journal.Since(before), e => e.File == Log);
            journal.WriteDelay = TimeSpan.Zero;
        }

        data.Dispose();
        log.Dispose();
    }

    [Fact]
    public async Task Writes_ReturnOnlyAfterTheirCommitLogFrameIsFlushedToTheDevice()
    {
        var journal = new DeviceJournal();
        await using LiteDbChannelStore store = Open(journal);
        journal.WriteDelay = TimeSpan.FromMilliseconds(2);
        ChannelRecord channel = NewChannel();

        for (ulong v = 0; v < 12; v++)
        {
            SignedState state = Signed(channel.Id, v);
            await AssertDurableOnReturnAsync(journal, () => store.WriteAsync(StoreBatch.Of(channel.At(state), state)));
        }

        await AssertDurableOnReturnAsync(journal, () => store.SetCursorAsync("watcher", 42));
        await AssertDurableOnReturnAsync(journal, () => store.PutEntryAsync("eth-tx/1/0xabc/register", new byte[300]));
        await AssertDurableOnReturnAsync(journal, () => store.DeleteEntryAsync("eth-tx/1/0xabc/register"));
        await AssertDurableOnReturnAsync(journal, () => store.PruneHistoryAsync(channel.Id, 5));
    }

    [Fact]
    public async Task Write_OfOneRecordAndState_CostsOneDeviceFlushAndNoLogFlush()
    {
        // Before the commit log, a commit flushed LiteDB's growing log twice (the barrier before
        // the commit record, then the end); LiteDB alone asked for one flush per page. Now one
        // frame in space written at creation, flushed once; LiteDB's log waits for the next sync.
        var journal = new DeviceJournal();
        await using LiteDbChannelStore store = Open(journal);
        ChannelRecord channel = NewChannel();
        SignedState first = Signed(channel.Id, 0);
        await store.WriteAsync(StoreBatch.Of(channel.At(first), first));

        long before = journal.Position;
        long commitsBefore = store.Commits;
        long syncsBefore = store.Syncs;
        for (ulong v = 1; v <= 20; v++)
        {
            SignedState state = Signed(channel.Id, v);
            await AssertDurableOnReturnAsync(journal, () => store.WriteAsync(StoreBatch.Of(channel.At(state), state)));
        }

        IReadOnlyList<DeviceEvent> events = journal.Since(before);
        Assert.Equal(20, store.Commits - commitsBefore);
        Assert.Equal(0, store.Syncs - syncsBefore);
        Assert.Equal(20, events.Count(e => e.File == Commits && e.Kind == DeviceEventKind.FlushToDevice));
        Assert.Equal(20, events.Count(e => e.File == Commits && e.Kind == DeviceEventKind.Write));
        Assert.DoesNotContain(events, e => e.File == Log && e.Kind == DeviceEventKind.FlushToDevice);
        Assert.DoesNotContain(events, e => e.File == Data && e.Kind == DeviceEventKind.Write);
        Assert.DoesNotContain(events, e => e.File == Commits && e.Kind == DeviceEventKind.SetLength);
    }

    [Fact]
    public async Task LogLength_ReadDirectly_AgreesWithLiteDbsDatabaseQueryAfterEveryWrite()
    {
        // WaitDurable reads LiteDB's virtual log length through a compiled delegate instead of
        // the $database query (LogLengthProbe). Both must give the same offset, or a write could
        // be acknowledged before its commit record is durable.
        var journal = new DeviceJournal();
        await using LiteDbChannelStore store = Open(journal, checkpointPages: 4);
        Assert.True(store.ReadsLogLengthDirectly, "LiteDB 5.0.20's DiskService.GetVirtualLength was not found");
        ChannelRecord channel = NewChannel();
        for (ulong v = 0; v < 15; v++)
        {
            SignedState state = Signed(channel.Id, v);
            await store.WriteAsync(StoreBatch.Of(channel.At(state), state));
            (long direct, long queried) = store.LogLengths();
            Assert.Equal(queried, direct);
        }
    }

    [Fact]
    public async Task Device_SeesDataOnlyAfterASyncAndANewGenerationOnlyAfterTheData()
    {
        var journal = new DeviceJournal();
        ChannelRecord[] channels = Enumerable.Range(0, 8).Select(_ => NewChannel()).ToArray();

        // A tiny checkpoint threshold (and documents moved into LiteDB after 4 wait) makes the
        // store sync (flush LiteDB's log, record it, copy the log into the data file, start a
        // generation) over and over while writers run.
        long syncs;
        await using (LiteDbChannelStore store = Open(journal, checkpointPages: 3, flushAfter: 4))
        {
            await Task.WhenAll(channels.Select(c => Task.Run(async () =>
            {
                for (ulong v = 0; v < 15; v++)
                {
                    SignedState state = Signed(c.Id, v);
                    await store.WriteAsync(StoreBatch.Of(c.At(state), state));
                }
            })));
            syncs = store.Syncs;
        }

        // Until the first generation (a new store: LiteDB creates its file, the store checkpoints
        // before it creates the commit log) the old rules hold, checked by the write-ahead assertion.
        bool logDirty = false, dataDirty = false, commitsDirty = false, synced = false, hot = false;
        int dataWrites = 0, generations = 0;
        foreach (DeviceEvent e in journal.Events.OrderBy(e => e.Sequence))
        {
            switch (e.File, e.Kind)
            {
                case (Log, DeviceEventKind.Write):
                    logDirty = true;
                    break;
                case (Log, DeviceEventKind.FlushToDevice):
                    logDirty = false;
                    break;
                case (Data, DeviceEventKind.Write):
                    Assert.False(logDirty, $"data page written at {e.Position} while the log held unflushed pages");
                    Assert.True(synced || !hot, $"data page written at {e.Position} before a Synced frame was on the device");
                    dataDirty = true;
                    dataWrites++;
                    break;
                case (Data, DeviceEventKind.FlushToDevice):
                    dataDirty = false;
                    break;
                case (Commits, DeviceEventKind.Write) when e.Frame == CommitLog.FrameKind.Synced:
                    Assert.False(logDirty, "a Synced frame was written while LiteDB's log held unflushed pages");
                    commitsDirty = true;
                    break;
                case (Commits, DeviceEventKind.Write) when e.Frame == CommitLog.FrameKind.Generation:
                    Assert.False(dataDirty, "a generation started while the data file held unflushed pages");
                    synced = false;
                    hot = true;
                    commitsDirty = true;
                    generations++;
                    break;
                case (Commits, DeviceEventKind.Write):
                    commitsDirty = true;
                    break;
                case (Commits, DeviceEventKind.FlushToDevice):
                    if (commitsDirty && journal.Events.Where(x => x.File == Commits && x.Kind == DeviceEventKind.Write && x.Sequence < e.Sequence)
                        .MaxBy(x => x.Sequence)?.Frame == CommitLog.FrameKind.Synced)
                    {
                        synced = true;
                    }

                    commitsDirty = false;
                    break;
            }
        }

        Assert.True(syncs > 0, "no sync happened");
        Assert.True(dataWrites > 0, "no checkpoint happened");
        Assert.True(generations > syncs, $"{generations} generations for {syncs} syncs");
    }

    [Fact]
    public async Task DeviceFailure_UnderAWrite_FaultsTheStore_LaterWritesFailAndNothingAcknowledgedIsLost()
    {
        // A read of the data file fails inside a write's transaction (cold pages, dead device).
        // LiteDB may keep the broken transaction's locks; had the store gone on, the next write
        // (or the sync on dispose) would wait out LiteDB's 60 s lock timeout.
        var disk = new SimulatedDisk();
        string path = Path.Combine(Path.GetTempPath(), "simulated", "client.db");
        var options = new LiteDbStoreOptions { FileOpener = disk.Opener, HistoryFlushStates = 3 };
        ChannelRecord[] channels = Enumerable.Range(0, 40).Select(_ => NewChannel()).ToArray();
        await using (LiteDbChannelStore first = LiteDbChannelStore.Open(path, options))
        {
            foreach (ChannelRecord channel in channels)
            {
                SignedState state = Signed(channel.Id, 0);
                await first.WriteAsync(StoreBatch.Of(channel.At(state), state));
            }
        }

        LiteDbChannelStore store = LiteDbChannelStore.Open(path, options);
        SimulatedDisk rebooted = disk.PowerLoss(new Random(7));
        SignedState next = Signed(channels[^1].Id, 1);

        var failure = await Assert.ThrowsAsync<StateChannelException>(async () => await store.WriteAsync(StoreBatch.Of(channels[^1].At(next), next)));
        Assert.Equal(ErrorCode.StorageFailure, failure.Code);
        Assert.True(store.IsFaulted);
        SignedState other = Signed(channels[0].Id, 1);
        failure = await Assert.ThrowsAsync<StateChannelException>(async () => await store.WriteAsync(StoreBatch.Of(channels[0].At(other), other)));
        Assert.Equal(ErrorCode.StorageFailure, failure.Code);
        await store.DisposeAsync();

        await using LiteDbChannelStore reopened = LiteDbChannelStore.Open(path, new LiteDbStoreOptions { FileOpener = rebooted.Opener, HistoryFlushStates = 3 });
        foreach (ChannelRecord channel in channels)
        {
            Assert.Equal(Signed(channel.Id, 0), await reopened.GetStateAsync(channel.Id, 0));
        }

        Assert.Null(await reopened.GetStateAsync(channels[^1].Id, 1));
    }

    [Fact]
    public async Task PowerLoss_AtRandomMoments_KeepsEveryAcknowledgedWrite()
    {
        int seed = Environment.TickCount;
        for (int round = 0; round < 24; round++)
        {
            int roundSeed = seed + round;
            try
            {
                await PowerLossRoundAsync(
                    new Random(roundSeed),
                    checkpointPages: round % 2 == 0 ? 4 : LiteDbStoreOptions.DefaultCheckpointPages,
                    byOperationCount: round % 4 >= 2,
                    commitLogBytes: round % 3 == 0 ? 64 * 1024 : 8L << 20);
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"Power-loss round failed with seed {roundSeed}: {ex}");
            }
        }
    }

    /// <summary>
    /// Writers run until the power goes: after a random delay, or (<paramref name="byOperationCount"/>)
    /// at a random device operation, which lands anywhere, e.g. between a commit's pages and its flush.
    /// </summary>
    private static async Task PowerLossRoundAsync(Random random, int checkpointPages, bool byOperationCount, long commitLogBytes)
    {
        var disk = new SimulatedDisk();
        string path = Path.Combine(Path.GetTempPath(), "simulated", "client.db");
        // With the tiny checkpoint threshold, documents also move from memory into LiteDB after 3 wait.
        int flushAfter = checkpointPages < 10 ? 3 : 256;
        var options = new LiteDbStoreOptions { FileOpener = disk.Opener, CheckpointPages = checkpointPages, CommitLogBytes = commitLogBytes, HistoryFlushStates = flushAfter };
        ChannelRecord[] channels = Enumerable.Range(0, 6).Select(_ => NewChannel()).ToArray();
        var acknowledged = new long[channels.Length];
        Array.Fill(acknowledged, -1);
        long acknowledgedCursor = -1;

        LiteDbChannelStore store = LiteDbChannelStore.Open(path, options);
        using var stop = new CancellationTokenSource();
        Task[] writers = channels.Select((c, i) => Task.Run(async () =>
        {
            for (ulong v = 0; !stop.IsCancellationRequested; v++)
            {
                SignedState state = Signed(c.Id, v);
                try
                {
                    await store.WriteAsync(StoreBatch.Of(c.At(state), state));
                }
                catch (StateChannelException)
                {
                    return;
                }

                Volatile.Write(ref acknowledged[i], (long)v);
                if (i == 0)
                {
                    try
                    {
                        await store.SetCursorAsync("cursor", v);
                    }
                    catch (StateChannelException)
                    {
                        return;
                    }

                    Volatile.Write(ref acknowledgedCursor, (long)v);
                }
            }
        })).ToArray();

        if (byOperationCount)
        {
            disk.ArmPowerLoss(random.Next(1, 600));
            while (!disk.IsLost && writers.Any(w => !w.IsCompleted))
            {
                await Task.Delay(1);
            }
        }
        else
        {
            await Task.Delay(random.Next(5, 120));
        }

        long[] acknowledgedBeforeLoss = acknowledged.ToArray();
        long cursorBeforeLoss = Volatile.Read(ref acknowledgedCursor);
        SimulatedDisk rebooted = disk.PowerLoss(random);
        stop.Cancel();
        await Task.WhenAll(writers);
        await store.DisposeAsync();

        // What was acknowledged before the power went is the floor; writes acknowledged in the
        // race with the loss must be there too.
        await using LiteDbChannelStore reopened = LiteDbChannelStore.Open(
            path, new LiteDbStoreOptions { FileOpener = rebooted.Opener, CheckpointPages = checkpointPages, CommitLogBytes = commitLogBytes, HistoryFlushStates = flushAfter });
        for (int i = 0; i < channels.Length; i++)
        {
            long floor = Math.Max(acknowledgedBeforeLoss[i], Volatile.Read(ref acknowledged[i]));
            ChannelRecord? record = await reopened.GetChannelAsync(channels[i].Id);
            if (floor < 0 && record is null)
            {
                continue;
            }

            Assert.NotNull(record);
            ulong latest = record.Latest!.State.Version;
            Assert.True((long)latest >= floor, $"channel {i}: acknowledged {floor}, found {latest}");
            // Every version up to the latest, in one pass (a fast writer acknowledges thousands).
            ulong expected = 0;
            await foreach (SignedState state in reopened.GetHistoryAsync(channels[i].Id))
            {
                Assert.Equal(Signed(channels[i].Id, expected), state);
                expected++;
            }

            Assert.Equal(latest + 1, expected);
            Assert.Equal(Signed(channels[i].Id, latest), await reopened.GetStateAsync(channels[i].Id, latest));
        }

        ulong? cursor = await reopened.GetCursorAsync("cursor");
        Assert.True((long)(cursor ?? ulong.MaxValue) >= cursorBeforeLoss || (cursor is null && cursorBeforeLoss < 0));

        // The store goes on working after the reboot.
        SignedState next = Signed(channels[0].Id, 1_000);
        await reopened.WriteAsync(StoreBatch.Of(channels[0].At(next), next));
        Assert.Equal(next, await reopened.GetStateAsync(channels[0].Id, 1_000));
    }

    private static async Task AssertDurableOnReturnAsync(DeviceJournal journal, Func<ValueTask> write)
    {
        long before = journal.Position;
        await write();
        IReadOnlyList<DeviceEvent> events = journal.Since(before).Where(e => e.File == Commits).ToList();

        int lastWrite = events.Select((e, i) => (e, i)).LastOrDefault(x => x.e.Kind == DeviceEventKind.Write, (null!, -1)).Item2;
        int lastFlush = events.Select((e, i) => (e, i)).LastOrDefault(x => x.e.Kind == DeviceEventKind.FlushToDevice, (null!, -1)).Item2;
        Assert.True(lastWrite >= 0, "the write did not reach the commit log");
        Assert.True(lastFlush > lastWrite, "the write returned before its commit log frame was flushed to the device");
        Assert.Contains(events, e => e.Kind == DeviceEventKind.Write && e.Frame == CommitLog.FrameKind.Changes);
    }

    private LiteDbChannelStore Open(DeviceJournal journal, int checkpointPages = LiteDbStoreOptions.DefaultCheckpointPages, int flushAfter = 256) =>
        LiteDbChannelStore.Open(
            _directory.File(Data),
            new LiteDbStoreOptions { FileOpener = journal.Opener, CheckpointPages = checkpointPages, HistoryFlushStates = flushAfter });
}
