namespace StateChannels.Storage.LiteDb;

/// <summary>
/// Options of a <see cref="LiteDbChannelStore"/>. Read and validated once, by
/// <see cref="LiteDbChannelStore.Open(string, LiteDbStoreOptions?)"/>; changing them afterwards has no effect.
/// </summary>
public sealed class LiteDbStoreOptions
{
    /// <summary>The LiteDB 5 checkpoint threshold the store sets, in 8 KiB log pages (LiteDB's own default).</summary>
    internal const int DefaultCheckpointPages = 1000;

    /// <summary>
    /// How many versions of each channel's signed state history to keep, counting back from the
    /// highest stored version; <see langword="null"/> (the default) keeps the whole history.
    /// Unit: versions; at least 1. Pruning never removes a state at or above
    /// <c>min(Latest.State.Version, LastSigned.State.Version)</c> of the channel's record, so the
    /// latest fully signed state and every state we signed that the peer could still use survive
    /// whatever the setting. Applied in the same transaction as each write.
    /// </summary>
    public int? HistoryRetention { get; set; }

    /// <summary>
    /// Group commit: the most write operations (batches, cursor updates, prunes) that the writer
    /// applies in one LiteDB transaction, made durable by one commit. Unit: operations; default 256,
    /// at least 1. Larger groups mean fewer device flushes under load and longer transactions.
    /// </summary>
    public int MaxOperationsPerCommit { get; set; } = 256;

    /// <summary>
    /// How long a commit may wait for LiteDB's background log writer to hand its pages to the
    /// device before the store gives up and faults (every later call throws
    /// <see cref="ErrorCode.StorageFailure"/>). Default 60 seconds; must be positive.
    /// </summary>
    public TimeSpan DurabilityTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Tests only: opens the raw stream of a database file (the data file or the log file) in place
    /// of an exclusive, unbuffered <see cref="FileStream"/>. Its <c>Flush()</c> must mean "flush to
    /// the device". Null: real files.
    /// </summary>
    internal Func<string, Stream>? FileOpener { get; set; }

    /// <summary>Tests only: LiteDB's checkpoint threshold in log pages (see <see cref="DefaultCheckpointPages"/>).</summary>
    internal int CheckpointPages { get; set; } = DefaultCheckpointPages;

    /// <summary>The commit log's size in bytes, written in full when it is created (see <c>CommitLog</c>); default 8 MiB.</summary>
    internal long CommitLogBytes { get; set; } = 8L << 20;

    /// <summary>History states kept in memory (durable in the commit log) before they go into LiteDB together; default 256 (see <c>LiteDbChannelStore.History.cs</c>).</summary>
    internal int HistoryFlushStates { get; set; } = 256;

    /// <summary>Returns a validated copy, so later changes by the caller cannot reach an open store.</summary>
    internal LiteDbStoreOptions Validated()
    {
        if (HistoryRetention is < 1)
        {
            throw new ArgumentOutOfRangeException(
                nameof(HistoryRetention), HistoryRetention, "History retention keeps at least one version (or null to keep all).");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxOperationsPerCommit, 1, nameof(MaxOperationsPerCommit));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(DurabilityTimeout, TimeSpan.Zero, nameof(DurabilityTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(CheckpointPages, 1, nameof(CheckpointPages));
        ArgumentOutOfRangeException.ThrowIfLessThan(CommitLogBytes, 64L * 1024, nameof(CommitLogBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(HistoryFlushStates, 1, nameof(HistoryFlushStates));
        return new LiteDbStoreOptions
        {
            HistoryRetention = HistoryRetention,
            MaxOperationsPerCommit = MaxOperationsPerCommit,
            DurabilityTimeout = DurabilityTimeout,
            FileOpener = FileOpener,
            CheckpointPages = CheckpointPages,
            CommitLogBytes = CommitLogBytes,
            HistoryFlushStates = HistoryFlushStates,
        };
    }
}
