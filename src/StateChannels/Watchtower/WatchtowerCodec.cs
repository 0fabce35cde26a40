using StateChannels.Wire;

namespace StateChannels;

/// <summary>
/// The feeder ↔ watchtower frames (over an authenticated <see cref="IMessageConnection"/>). Layout:
/// one byte protocol version (1), one byte type, fixed fields; decoding is total and exact-length.
/// Submit (0x81): params, signed state. Receipt (0x82): channel id, u64 version, accepted byte,
/// reason (u8 length + UTF-8, at most 200 bytes).
/// </summary>
internal static class WatchtowerCodec
{
    public const byte Version = 1;
    public const byte SubmitType = 0x81;
    public const byte ReceiptType = 0x82;
    public const int MaxReasonBytes = 200;
    private const int SubmitSize = 2 + WireWriter.ParamsSize + WireWriter.StateSize + (2 * WireWriter.SignatureSize);
    private const int MaxReceiptSize = 2 + 32 + 8 + 1 + 1 + MaxReasonBytes;

    public static byte[] EncodeSubmit(ChannelParams p, SignedState s)
    {
        Span<byte> buffer = stackalloc byte[SubmitSize];
        var w = new WireWriter(buffer);
        w.U8(Version);
        w.U8(SubmitType);
        w.Params(p);
        w.SignedState(s);
        return buffer[..w.Length].ToArray();
    }

    public static byte[] EncodeReceipt(WatchtowerReceipt receipt)
    {
        Span<byte> buffer = stackalloc byte[MaxReceiptSize];
        var w = new WireWriter(buffer);
        w.U8(Version);
        w.U8(ReceiptType);
        w.ChannelId(receipt.ChannelId);
        w.U64(receipt.Version);
        w.Bool(receipt.Accepted);
        w.Utf8(receipt.Reason, MaxReasonBytes);
        return buffer[..w.Length].ToArray();
    }

    public static bool TryDecodeSubmit(ReadOnlySpan<byte> frame, out ChannelParams? p, out SignedState? s, out string error)
    {
        p = null;
        s = null;
        try
        {
            if (frame.Length != SubmitSize)
            {
                throw WireReader.Fail($"submit of {frame.Length} bytes, expected {SubmitSize}");
            }

            var r = new WireReader(frame);
            Header(ref r, SubmitType);
            p = r.Params();
            s = r.SignedState();
            r.End();
            error = string.Empty;
            return true;
        }
        catch (Exception e) when (e is StateChannelException or ArgumentException)
        {
            p = null;
            s = null;
            error = e.Message;
            return false;
        }
    }

    public static bool TryDecodeReceipt(ReadOnlySpan<byte> frame, out WatchtowerReceipt? receipt)
    {
        try
        {
            if (frame.Length > MaxReceiptSize)
            {
                throw WireReader.Fail("receipt too long");
            }

            var r = new WireReader(frame);
            Header(ref r, ReceiptType);
            var id = r.ChannelId();
            var version = r.U64();
            var accepted = r.Bool();
            var reason = r.Utf8(MaxReasonBytes);
            receipt = new WatchtowerReceipt(id, accepted, version, reason);
            r.End();
            return true;
        }
        catch (Exception e) when (e is StateChannelException or ArgumentException)
        {
            receipt = null;
            return false;
        }
    }

    private static void Header(ref WireReader r, byte type)
    {
        var version = r.U8();
        if (version != Version)
        {
            throw WireReader.Fail($"watchtower protocol version {version} not supported");
        }

        if (r.U8() != type)
        {
            throw WireReader.Fail("unexpected watchtower message type");
        }
    }
}
