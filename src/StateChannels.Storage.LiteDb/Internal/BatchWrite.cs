namespace StateChannels.Storage.LiteDb;

/// <summary>A <see cref="StoreBatch"/>, encoded and checksummed on the caller's thread.</summary>
internal sealed class BatchWrite : PendingWrite
{
    private BatchWrite(IReadOnlyList<EncodedDocument> channels, IReadOnlyList<EncodedDocument> states, IReadOnlyList<ChannelRecord> records)
    {
        Channels = channels;
        States = states;
        Records = records;
    }

    /// <summary>Channel documents to upsert, in batch order (a later record of the same channel wins).</summary>
    public IReadOnlyList<EncodedDocument> Channels { get; }

    /// <summary>State documents to append, unique per key.</summary>
    public IReadOnlyList<EncodedDocument> States { get; }

    /// <summary>The records themselves (retention reads their Latest and LastSigned versions).</summary>
    public IReadOnlyList<ChannelRecord> Records { get; }

    /// <summary>Encodes a batch.</summary>
    /// <exception cref="ArgumentNullException">The batch holds a null record or state.</exception>
    /// <exception cref="StateChannelException">
    /// <see cref="ErrorCode.StorageFailure"/>: two different states at one (channel, version) in the batch.
    /// </exception>
    public static BatchWrite Encode(StoreBatch batch)
    {
        var channels = new List<EncodedDocument>(batch.Channels.Count);
        var records = new List<ChannelRecord>(batch.Channels.Count);
        foreach (ChannelRecord? record in batch.Channels)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(batch));
            byte[] key = StoreDocuments.ChannelKey(record.Id);
            channels.Add(new EncodedDocument(record.Id, 0, key, RecordCodec.EncodeChannel(record)));
            records.Add(record);
        }

        var states = new List<EncodedDocument>(batch.History.Count);
        var seen = new Dictionary<(ChannelId, ulong), EncodedDocument>();
        foreach (SignedState? state in batch.History)
        {
            ArgumentNullException.ThrowIfNull(state, nameof(batch));
            ChannelId id = state.State.ChannelId;
            ulong version = state.State.Version;
            var document = new EncodedDocument(id, version, StoreDocuments.StateKey(id, version), RecordCodec.EncodeState(state));
            if (seen.TryGetValue((id, version), out EncodedDocument? earlier))
            {
                if (!earlier.Payload.AsSpan().SequenceEqual(document.Payload))
                {
                    throw Conflict(id, version);
                }

                continue;
            }

            seen.Add((id, version), document);
            states.Add(document);
        }

        return new BatchWrite(channels, states, records);
    }

    /// <summary>The error of a history entry that differs from the one stored at its (channel, version).</summary>
    public static StateChannelException Conflict(ChannelId id, ulong version) => new(
        ErrorCode.StorageFailure,
        $"Channel {id} already holds a different signed state at version {version}; the batch was not written.");
}
