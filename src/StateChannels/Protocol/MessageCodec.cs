using StateChannels.Wire;

namespace StateChannels.Protocol;

/// <summary>
/// Encodes and decodes protocol messages (docs/protocol.md, "Wire format"). Layout: one byte
/// protocol version, one byte <see cref="MessageType"/>, then the message's fixed fields. Decoding
/// is total: any input either yields a message or a reason, never an exception; the exact length
/// is checked (no trailing bytes).
/// </summary>
internal static class MessageCodec
{
    /// <summary>The wire protocol version this library speaks.</summary>
    public const byte ProtocolVersion = 1;

    /// <summary>The largest encoded message, in bytes (a reestablish with both states).</summary>
    public const int MaxMessageSize = 2 + 32 + 1 + (WireWriter.StateSize + (2 * WireWriter.SignatureSize)) + (WireWriter.StateSize + WireWriter.SignatureSize);

    public static byte[] Encode(ProtocolMessage message)
    {
        Span<byte> buffer = stackalloc byte[MaxMessageSize];
        var w = new WireWriter(buffer);
        w.U8(ProtocolVersion);
        w.U8((byte)message.Type);
        switch (message)
        {
            case OpenRequest m:
                w.Params(m.Params);
                w.Domain(m.Domain);
                break;
            case ProposeUpdate m:
                w.State(m.State);
                w.U64(m.BaseVersion);
                break;
            case AcceptUpdate m:
                w.ChannelId(m.ChannelId);
                w.U64(m.Version);
                w.Signature(m.Signature);
                break;
            case ConfirmUpdate m:
                w.ChannelId(m.ChannelId);
                w.U64(m.Version);
                w.Signature(m.Signature);
                break;
            case RejectUpdate m:
                w.ChannelId(m.ChannelId);
                w.U64(m.Version);
                w.U16((ushort)m.Code);
                w.Utf8(m.Reason, RejectUpdate.MaxReasonBytes - 1);
                break;
            case Reestablish m:
                w.ChannelId(m.ChannelId);
                w.U8((byte)((m.Latest is null ? 0 : 1) | (m.Pending is null ? 0 : 2)));
                if (m.Latest is { } latest)
                {
                    w.SignedState(latest);
                }

                if (m.Pending is { } pending)
                {
                    w.State(pending);
                    w.Signature(m.PendingSignature ?? throw new ArgumentException("a pending state needs its signature", nameof(message)));
                }

                break;
            default:
                throw new ArgumentException($"unknown message {message.GetType().Name}", nameof(message));
        }

        return buffer[..w.Length].ToArray();
    }

    public static bool TryDecode(ReadOnlySpan<byte> frame, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ProtocolMessage? message, out string error)
    {
        try
        {
            message = Decode(frame);
            error = string.Empty;
            return true;
        }
        catch (StateChannelException e)
        {
            message = null;
            error = e.Message;
            return false;
        }
        catch (ArgumentException e)
        {
            message = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>Decodes one message; <see cref="StateChannelException"/> (<see cref="ErrorCode.InvalidFormat"/>) on bad input.</summary>
    public static ProtocolMessage Decode(ReadOnlySpan<byte> frame)
    {
        if (frame.Length > MaxMessageSize)
        {
            throw WireReader.Fail($"message of {frame.Length} bytes exceeds {MaxMessageSize}");
        }

        var r = new WireReader(frame);
        var version = r.U8();
        if (version != ProtocolVersion)
        {
            throw WireReader.Fail($"protocol version {version} not supported (we speak {ProtocolVersion})");
        }

        var type = (MessageType)r.U8();
        ProtocolMessage message = type switch
        {
            MessageType.OpenRequest => new OpenRequest(r.Params(), r.Domain()),
            MessageType.Propose => new ProposeUpdate(r.State(), r.U64()),
            MessageType.Accept => new AcceptUpdate(r.ChannelId(), r.U64(), r.Signature()),
            MessageType.Confirm => new ConfirmUpdate(r.ChannelId(), r.U64(), r.Signature()),
            MessageType.Reject => new RejectUpdate(r.ChannelId(), r.U64(), ReadCode(ref r), r.Utf8(RejectUpdate.MaxReasonBytes - 1)),
            MessageType.Reestablish => ReadReestablish(ref r),
            _ => throw WireReader.Fail($"unknown message type {(byte)type}"),
        };
        r.End();
        return message;
    }

    /// <summary>The channel a message is about (an open request's channel is computed from its params).</summary>
    public static ChannelId ChannelOf(ProtocolMessage message) => message switch
    {
        ProposeUpdate m => m.State.ChannelId,
        AcceptUpdate m => m.ChannelId,
        ConfirmUpdate m => m.ChannelId,
        RejectUpdate m => m.ChannelId,
        Reestablish m => m.ChannelId,
        OpenRequest m => Eip712.ComputeChannelId(m.Domain, m.Params),
        _ => throw new ArgumentException("unknown message", nameof(message)),
    };

    private static ErrorCode ReadCode(ref WireReader r)
    {
        var code = (ErrorCode)r.U16();
        return Enum.IsDefined(code) ? code : ErrorCode.PeerRejected;
    }

    private static Reestablish ReadReestablish(ref WireReader r)
    {
        var id = r.ChannelId();
        var flags = r.U8();
        if ((flags & ~3) != 0)
        {
            throw WireReader.Fail($"reestablish flags {flags}");
        }

        SignedState? latest = null;
        if ((flags & 1) != 0)
        {
            latest = r.SignedState();
        }

        ChannelState? pending = null;
        Signature? pendingSignature = null;
        if ((flags & 2) != 0)
        {
            pending = r.State();
            pendingSignature = r.Signature();
        }

        if ((latest is not null && latest.State.ChannelId != id) || (pending is { } p && p.ChannelId != id))
        {
            throw WireReader.Fail("reestablish carries a state of another channel");
        }

        return new Reestablish(id, latest, pending, pendingSignature);
    }
}
