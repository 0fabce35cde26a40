using StateChannels.Wire;

namespace StateChannels;

/// <summary>
/// The binary form of what a store keeps: channel records and signed states. Stores persist these
/// bytes (plus a checksum of their own) rather than mapping domain types, so every store
/// implementation reads back exactly what the engine wrote. Every payload starts with a two-byte
/// schema version; decoders are total and refuse newer schemas.
/// </summary>
public static class RecordCodec
{
    private const int MaxChannelSize = 2 + 32 + WireWriter.ParamsSize + WireWriter.DomainSize + 3 + 8 + 8 + 8
        + WireWriter.StateSize + (2 * WireWriter.SignatureSize)
        + WireWriter.StateSize + 32 + WireWriter.SignatureSize;

    private const int StateSize = 2 + WireWriter.StateSize + (2 * WireWriter.SignatureSize);

    /// <summary>Encodes a channel record.</summary>
    public static byte[] EncodeChannel(ChannelRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        Span<byte> buffer = stackalloc byte[MaxChannelSize];
        var w = new WireWriter(buffer);
        w.U16(ChannelRecord.CurrentSchemaVersion);
        w.ChannelId(record.Id);
        w.Params(record.Params);
        w.Domain(record.Domain);
        w.U8((byte)record.MyIndex);
        w.U8((byte)record.Phase);
        w.U8((byte)((record.Latest is null ? 0 : 1) | (record.LastSigned is null ? 0 : 2) | (record.FallenBehind ? 4 : 0)
            | (record.PhaseSince == default ? 0 : 8)));
        w.U64(record.PeerSignedVersion);
        w.I64(record.UpdatedAt.ToUnixTimeMilliseconds());
        if (record.PhaseSince != default)
        {
            w.I64(record.PhaseSince.ToUnixTimeMilliseconds()); // optional (flag 8): records written before it lack it
        }
        if (record.Latest is { } latest)
        {
            w.SignedState(latest);
        }

        if (record.LastSigned is { } intent)
        {
            w.State(intent.State);
            w.Hash(intent.Digest);
            w.Signature(intent.Signature);
        }

        return buffer[..w.Length].ToArray();
    }

    /// <summary>Decodes a channel record.</summary>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.InvalidFormat"/> or <see cref="ErrorCode.UnsupportedSchemaVersion"/>.</exception>
    public static ChannelRecord DecodeChannel(ReadOnlySpan<byte> bytes)
    {
        var r = new WireReader(bytes);
        CheckSchema(r.U16());
        var id = r.ChannelId();
        var p = r.Params();
        var domain = ReadDomain(ref r);
        var myIndex = r.U8();
        var phase = (ChannelPhase)r.U8();
        var flags = r.U8();
        if (myIndex > 1 || !Enum.IsDefined(phase) || (flags & ~15) != 0)
        {
            throw WireReader.Fail("channel record has an invalid index, phase or flags");
        }

        var peerSigned = r.U64();
        var updatedAt = ReadTime(ref r);
        var phaseSince = (flags & 8) != 0 ? ReadTime(ref r) : default;
        var latest = (flags & 1) != 0 ? r.SignedState() : null;
        var lastSigned = (flags & 2) != 0 ? new SignIntent(r.State(), r.Hash(), r.Signature()) : null;
        r.End();
        return new ChannelRecord
        {
            Id = id,
            Params = p,
            Domain = domain,
            MyIndex = myIndex,
            Phase = phase,
            Latest = latest,
            LastSigned = lastSigned,
            FallenBehind = (flags & 4) != 0,
            PeerSignedVersion = peerSigned,
            UpdatedAt = updatedAt,
            PhaseSince = phaseSince,
        };
    }

    /// <summary>Encodes a signed state for the history.</summary>
    public static byte[] EncodeState(SignedState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Span<byte> buffer = stackalloc byte[StateSize];
        var w = new WireWriter(buffer);
        w.U16(ChannelRecord.CurrentSchemaVersion);
        w.SignedState(state);
        return buffer[..w.Length].ToArray();
    }

    /// <summary>Decodes a signed state.</summary>
    /// <exception cref="StateChannelException"><see cref="ErrorCode.InvalidFormat"/> or <see cref="ErrorCode.UnsupportedSchemaVersion"/>.</exception>
    public static SignedState DecodeState(ReadOnlySpan<byte> bytes)
    {
        var r = new WireReader(bytes);
        CheckSchema(r.U16());
        var s = r.SignedState();
        r.End();
        return s;
    }

    private static void CheckSchema(ushort schema)
    {
        if (schema > ChannelRecord.CurrentSchemaVersion)
        {
            throw new StateChannelException(
                ErrorCode.UnsupportedSchemaVersion, $"record schema {schema} is newer than {ChannelRecord.CurrentSchemaVersion}");
        }

        if (schema == 0)
        {
            throw WireReader.Fail("record schema 0");
        }
    }

    private static Eip712Domain ReadDomain(ref WireReader r)
    {
        try
        {
            return r.Domain();
        }
        catch (ArgumentException e)
        {
            throw WireReader.Fail(e.Message);
        }
    }

    private static DateTimeOffset ReadTime(ref WireReader r)
    {
        var ms = r.I64();
        try
        {
            return DateTimeOffset.FromUnixTimeMilliseconds(ms);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw WireReader.Fail("timestamp out of range");
        }
    }
}
