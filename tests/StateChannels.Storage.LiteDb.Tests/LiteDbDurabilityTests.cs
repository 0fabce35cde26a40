using LiteDB;
using LiteDB.Engine;
using static StateChannels.Storage.LiteDb.Tests.StoreFixtures;

namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>
/// Durability of <see cref="LiteDbChannelStore"/> on a journaled device: every acknowledged write
/// has reached the device, LiteDB's log reaches it before the data file changes, and a commit
/// record never reaches it before the pages it commits (TOOLCHAIN.md, LiteDB 5 trap; THREATS C9).
/// </summary>
public sealed class LiteDbDurabilityTests : IDisposable
{
    private const string Log = "client-log.db";
    private const string Data = "client.db";

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
    public async Task Writes_ReturnOnlyAfterTheirLogPagesAreFlushedToTheDevice()
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
    public async Task Write_OfOneRecordAndState_FlushesTheLogAtMostTwicePerCommit()
    {
        // LiteDB's background writer asks for a flush each time its page queue runs empty, which
        // (its continuation running inline on the committing thread) was after every page: one
        // fsync per page, 3.3 per sequential write. Only two are needed: the barrier before the
        // commit record and the one that makes the commit durable before it is acknowledged.
        var journal = new DeviceJournal();
        await using LiteDbChannelStore store = Open(journal);
        ChannelRecord channel = NewChannel();
        SignedState first = Signed(channel.Id, 0);
        await store.WriteAsync(StoreBatch.Of(channel.At(first), first));

        long before = journal.Position;
        long commitsBefore = store.Commits;
        for (ulong v = 1; v <= 20; v++)
        {
            SignedState state = Signed(channel.Id, v);
            await AssertDurableOnReturnAsync(journal, () => store.WriteAsync(StoreBatch.Of(channel.At(state), state)));
        }

        long commits = store.Commits - commitsBefore;
        int logFlushes = journal.Since(before).Count(e => e.File == Log && e.Kind == DeviceEventKind.FlushToDevice);
        Assert.Equal(20, commits);
        Assert.True(logFlushes <= 2 * commits, $"{logFlushes} log flushes for {commits} commits");
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
    public async Task Device_SeesCommitRecordsOnlyAfterTheirPagesAndDataOnlyAfterTheLog()
    {
        var journal = new DeviceJournal();
        ChannelRecord[] channels = Enumerable.Range(0, 8).Select(_ => NewChannel()).ToArray();

        // A tiny checkpoint threshold makes LiteDB copy its log into the data file (and truncate
        // the log) over and over while writers run.
        long commits;
        await using (LiteDbChannelStore store = Open(journal, checkpointPages: 3))
        {
            await Task.WhenAll(channels.Select(c => Task.Run(async () =>
            {
                for (ulong v = 0; v < 15; v++)
                {
                    SignedState state = Signed(c.Id, v);
                    await store.WriteAsync(StoreBatch.Of(c.At(state), state));
                }
            })));
            commits = store.Commits;
        }

        bool logDirty = false;
        int commitRecords = 0;
        int dataWrites = 0;
        foreach (DeviceEvent e in journal.Events.OrderBy(e => e.Sequence))
        {
            switch (e.File, e.Kind)
            {
                case (Log, DeviceEventKind.Write):
                    if (e.Confirmed)
                    {
                        Assert.False(logDirty, $"commit record written at {e.Position} before the earlier log pages were flushed");
                        commitRecords++;
                    }

                    logDirty = true;
                    break;
                case (Log, DeviceEventKind.FlushToDevice):
                    logDirty = false;
                    break;
                case (Data, DeviceEventKind.Write):
                    Assert.False(logDirty, $"data page written at {e.Position} while the log held unflushed pages");
                    dataWrites++;
                    break;
            }
        }

        Assert.True(commitRecords >= commits, $"{commitRecords} commit records for {commits} commits");
        Assert.True(dataWrites > 0, "no checkpoint happened");
        Assert.Contains(journal.Events, e => e.File == Log && e.Kind == DeviceEventKind.SetLength && e.Position == 0);
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
                    byOperationCount: round % 4 >= 2);
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
    private static async Task PowerLossRoundAsync(Random random, int checkpointPages, bool byOperationCount)
    {
        var disk = new SimulatedDisk();
        string path = Path.Combine(Path.GetTempPath(), "simulated", "client.db");
        var options = new LiteDbStoreOptions { FileOpener = disk.Opener, CheckpointPages = checkpointPages };
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
            path, new LiteDbStoreOptions { FileOpener = rebooted.Opener, CheckpointPages = checkpointPages });
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
            for (ulong v = 0; v <= latest; v++)
            {
                Assert.Equal(Signed(channels[i].Id, v), await reopened.GetStateAsync(channels[i].Id, v));
            }
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
        IReadOnlyList<DeviceEvent> events = journal.Since(before).Where(e => e.File == Log).ToList();

        int lastWrite = events.Select((e, i) => (e, i)).LastOrDefault(x => x.e.Kind == DeviceEventKind.Write, (null!, -1)).Item2;
        int lastFlush = events.Select((e, i) => (e, i)).LastOrDefault(x => x.e.Kind == DeviceEventKind.FlushToDevice, (null!, -1)).Item2;
        Assert.True(lastWrite >= 0, "the write did not reach the log");
        Assert.True(lastFlush > lastWrite, "the write returned before its log pages were flushed to the device");
        Assert.Contains(events, e => e.Kind == DeviceEventKind.Write && e.Confirmed);
    }

    private LiteDbChannelStore Open(DeviceJournal journal, int checkpointPages = LiteDbStoreOptions.DefaultCheckpointPages) =>
        LiteDbChannelStore.Open(_directory.File(Data), new LiteDbStoreOptions { FileOpener = journal.Opener, CheckpointPages = checkpointPages });
}
