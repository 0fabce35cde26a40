using LiteDB;
using static StateChannels.Testing.Conformance.StoreFixtures;

namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>
/// Opening files that are in use, foreign, damaged or from the future (THREATS C10): the store
/// refuses with <see cref="StateChannelException"/> and never returns wrong data.
/// </summary>
public sealed class LiteDbFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string DatabasePath => _directory.File("client.db");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Open_NewFile_CreatesTheFileAndItsLogBesideIt()
    {
        await using LiteDbChannelStore store = LiteDbChannelStore.Open(DatabasePath);

        Assert.Equal(Path.GetFullPath(DatabasePath), store.Path);
        Assert.True(File.Exists(DatabasePath));
        Assert.True(File.Exists(_directory.File("client-log.db")));
    }

    [Fact]
    public async Task Open_FileHeldByAnotherStore_ThrowsStorageFailure()
    {
        await using LiteDbChannelStore first = LiteDbChannelStore.Open(DatabasePath);

        AssertStorageFailure(() => LiteDbChannelStore.Open(DatabasePath));
    }

    /// <summary>
    /// THREATS F3: the store's exclusive lock is the operating system's (flock on Linux), so a second
    /// process — a second instance of the same client — cannot open the file while we hold it, and
    /// we cannot open it while another process holds it.
    /// </summary>
    [Fact]
    public async Task Open_FileHeldByAnotherProcess_ThrowsStorageFailure()
    {
        await using (LiteDbChannelStore store = LiteDbChannelStore.Open(DatabasePath))
        {
            // Even a shared (reader's) lock is refused: the store holds the file exclusively.
            Assert.NotEqual(0, await RunAsync("flock", "--shared", "--nonblock", DatabasePath, "true"));
            Assert.NotEqual(0, await RunAsync("flock", "--nonblock", DatabasePath, "true"));
        }

        Assert.Equal(0, await RunAsync("flock", "--nonblock", DatabasePath, "true"));

        // Another process takes the lock first: our open fails, naming the cause, and leaves the file
        // alone. (--close: only flock itself holds the lock, not its child, so killing it releases it.)
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("flock", ["--nonblock", "--close", DatabasePath, "-c", "echo locked; exec sleep 60"])
        {
            RedirectStandardOutput = true,
        })!;
        try
        {
            Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            var ex = Assert.Throws<StateChannelException>(() => LiteDbChannelStore.Open(DatabasePath));
            Assert.Equal(ErrorCode.StorageFailure, ex.Code);
            Assert.Contains("another process", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync();
        }

        await using LiteDbChannelStore reopened = LiteDbChannelStore.Open(DatabasePath);
    }

    private static async Task<int> RunAsync(string file, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(file, args))!;
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return process.ExitCode;
    }

    [Fact]
    public void Open_InvalidOptions_ThrowArgumentOutOfRange()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LiteDbChannelStore.Open(DatabasePath, new LiteDbStoreOptions { HistoryRetention = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiteDbChannelStore.Open(DatabasePath, new LiteDbStoreOptions { MaxOperationsPerCommit = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiteDbChannelStore.Open(DatabasePath, new LiteDbStoreOptions { DurabilityTimeout = TimeSpan.Zero }));
        Assert.ThrowsAny<ArgumentException>(() => LiteDbChannelStore.Open(" "));
        Assert.False(File.Exists(DatabasePath));
    }

    [Fact]
    public void Open_GarbageFile_ThrowsStorageFailure()
    {
        byte[] garbage = new byte[8 * StoreDocuments.PageSize];
        new Random(7).NextBytes(garbage);
        File.WriteAllBytes(DatabasePath, garbage);

        AssertStorageFailure(() => LiteDbChannelStore.Open(DatabasePath));
    }

    [Fact]
    public async Task Open_DataFileCutMidPage_ThrowsStorageFailureInsteadOfStartingEmpty()
    {
        await WriteSampleAsync();
        foreach (long length in new long[] { 100, StoreDocuments.PageSize + 1234 })
        {
            using (FileStream file = File.Open(DatabasePath, FileMode.Open))
            {
                file.SetLength(length);
            }

            AssertStorageFailure(() => LiteDbChannelStore.Open(DatabasePath));
        }
    }

    [Fact]
    public async Task Open_EmptyDataFileBesideLog_ThrowsStorageFailure()
    {
        await WriteSampleAsync();
        File.WriteAllBytes(_directory.File("client-log.db"), new byte[StoreDocuments.PageSize]);
        File.WriteAllBytes(DatabasePath, []);

        AssertStorageFailure(() => LiteDbChannelStore.Open(DatabasePath));
    }

    [Fact]
    public async Task Open_StoreHeaderMissingWhileRecordsExist_ThrowsStorageFailure()
    {
        await WriteSampleAsync();
        using (var db = new LiteDatabase(new ConnectionString { Filename = DatabasePath, Connection = ConnectionType.Direct }, new BsonMapper()))
        {
            Assert.True(db.GetCollection(StoreDocuments.Meta).Delete(StoreDocuments.MetaId));
            db.Checkpoint();
        }

        AssertStorageFailure(() => LiteDbChannelStore.Open(DatabasePath));
    }

    [Fact]
    public async Task Open_StoreOfNewerSchema_ThrowsUnsupportedSchemaVersion()
    {
        await WriteSampleAsync();
        RawLiteDb.Edit(DatabasePath, StoreDocuments.Meta, StoreDocuments.MetaId, d => d["schema"] = StoreDocuments.StoreSchemaVersion + 1);

        var ex = Assert.Throws<StateChannelException>(() => LiteDbChannelStore.Open(DatabasePath));

        Assert.Equal(ErrorCode.UnsupportedSchemaVersion, ex.Code);
    }

    [Fact]
    public async Task DocumentOfNewerSchema_Read_ThrowsUnsupportedSchemaVersion()
    {
        ChannelRecord channel = await WriteSampleAsync();
        RawLiteDb.Edit(DatabasePath, StoreDocuments.Channels, StoreDocuments.ChannelKey(channel.Id), d => d["schema"] = StoreDocuments.SchemaVersion + 1);
        RawLiteDb.Edit(DatabasePath, StoreDocuments.States, StoreDocuments.StateKey(channel.Id, 0), d => d.Remove("schema"));

        await using LiteDbChannelStore store = LiteDbChannelStore.Open(DatabasePath);

        var future = await Assert.ThrowsAsync<StateChannelException>(async () => await store.GetChannelAsync(channel.Id));
        Assert.Equal(ErrorCode.UnsupportedSchemaVersion, future.Code);
        var missing = await Assert.ThrowsAsync<StateChannelException>(async () => await store.GetStateAsync(channel.Id, 0));
        Assert.Equal(ErrorCode.StorageFailure, missing.Code);
    }

    [Fact]
    public async Task GarbageInAnyPage_OpenOrReadFailsOrReturnsTheTruth()
    {
        // Writes, closes (so everything is checkpointed into the data file), then overwrites one
        // page at a time with garbage: every read must either return exactly what was written or
        // throw StorageFailure. Never a wrong record, never another exception type.
        Dictionary<ChannelId, (ChannelRecord Record, SignedState[] History)> truth = [];
        await using (LiteDbChannelStore store = LiteDbChannelStore.Open(DatabasePath))
        {
            for (int i = 0; i < 24; i++)
            {
                ChannelRecord channel = NewChannel();
                SignedState[] history = Enumerable.Range(0, 6).Select(v => Signed(channel.Id, (ulong)v)).ToArray();
                ChannelRecord record = channel.At(history[^1]);
                await store.WriteAsync(new StoreBatch([record], history));
                truth[channel.Id] = (record, history);
            }

            await store.SetCursorAsync("watcher", 99);
        }

        byte[] pristine = File.ReadAllBytes(DatabasePath);
        int pages = pristine.Length / StoreDocuments.PageSize;
        var random = new Random(1234);
        int refusedOpens = 0;
        int failedReads = 0;
        for (int page = 0; page < pages; page++)
        {
            byte[] damaged = pristine.ToArray();
            random.NextBytes(damaged.AsSpan(page * StoreDocuments.PageSize, StoreDocuments.PageSize));
            string path = _directory.File($"damaged-{page}.db");
            File.WriteAllBytes(path, damaged);

            Task check = Task.Run(async () =>
            {
                LiteDbChannelStore store;
                try
                {
                    store = LiteDbChannelStore.Open(path);
                }
                catch (StateChannelException ex) when (ex.Code == ErrorCode.StorageFailure)
                {
                    refusedOpens++;
                    return;
                }

                await using (store)
                {
                    failedReads += await ReadAllOrFailAsync(store, truth);
                }
            });

            Task finished = await Task.WhenAny(check, Task.Delay(TimeSpan.FromSeconds(20)));
            Assert.True(finished == check, $"page {page}: the store hung on a damaged file");
            await check;
        }

        Assert.True(refusedOpens + failedReads > 0, "no damage was ever noticed");
    }

    private static async Task<int> ReadAllOrFailAsync(
        LiteDbChannelStore store, Dictionary<ChannelId, (ChannelRecord Record, SignedState[] History)> truth)
    {
        int failures = 0;
        async Task Check(Func<Task> read)
        {
            try
            {
                await read();
            }
            catch (StateChannelException ex) when (ex.Code == ErrorCode.StorageFailure)
            {
                failures++;
            }
        }

        foreach ((ChannelId id, (ChannelRecord record, SignedState[] history)) in truth)
        {
            await Check(async () =>
            {
                ChannelRecord? read = await store.GetChannelAsync(id);
                Assert.True(read is null || read == record, $"wrong record for {id}");
            });
            await Check(async () =>
            {
                SignedState? read = await store.GetStateAsync(id, 3);
                Assert.True(read is null || read == history[3], $"wrong state for {id}");
            });
            await Check(async () =>
            {
                await foreach (SignedState state in store.GetHistoryAsync(id))
                {
                    Assert.Equal(history[state.State.Version], state);
                }
            });
        }

        await Check(async () =>
        {
            await foreach (ChannelRecord record in store.GetChannelsAsync())
            {
                Assert.Equal(truth[record.Id].Record, record);
            }
        });
        await Check(async () =>
        {
            ulong? cursor = await store.GetCursorAsync("watcher");
            Assert.True(cursor is null or 99, $"wrong cursor {cursor}");
        });
        return failures;
    }

    private static void AssertStorageFailure(Action open)
    {
        var ex = Assert.Throws<StateChannelException>(open);
        Assert.Equal(ErrorCode.StorageFailure, ex.Code);
    }

    private async Task<ChannelRecord> WriteSampleAsync()
    {
        ChannelRecord channel = NewChannel();
        SignedState v0 = Signed(channel.Id, 0);
        await using LiteDbChannelStore store = LiteDbChannelStore.Open(DatabasePath);
        await store.WriteAsync(StoreBatch.Of(channel.At(v0), v0));
        return channel;
    }
}
