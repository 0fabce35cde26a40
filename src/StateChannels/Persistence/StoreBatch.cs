namespace StateChannels;

/// <summary>One atomic write to an <see cref="IChannelStore"/>: channel records to replace and signed states to append.</summary>
public sealed class StoreBatch
{
    /// <summary>Creates a batch.</summary>
    public StoreBatch(IReadOnlyList<ChannelRecord> channels, IReadOnlyList<SignedState> history)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentNullException.ThrowIfNull(history);
        Channels = channels;
        History = history;
    }

    /// <summary>A batch that replaces one channel record and appends nothing.</summary>
    public static StoreBatch Of(ChannelRecord record) => new([record], []);

    /// <summary>A batch that replaces one channel record and appends one signed state.</summary>
    public static StoreBatch Of(ChannelRecord record, SignedState state) => new([record], [state]);

    /// <summary>Channel records to write, each replacing the previous record of its channel.</summary>
    public IReadOnlyList<ChannelRecord> Channels { get; }

    /// <summary>Signed states to append to the history, unique per (channel, version).</summary>
    public IReadOnlyList<SignedState> History { get; }
}
