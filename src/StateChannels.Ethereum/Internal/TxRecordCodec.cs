using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace StateChannels.Ethereum.Internal;

/// <summary>
/// The bytes of a <see cref="TxRecord"/> in the <see cref="ITransactionJournal"/>:
/// <c>"SCTX" | schema (u16 LE) | body | SHA-256 of everything before it</c>. Readers refuse a newer
/// schema (<see cref="ErrorCode.UnsupportedSchemaVersion"/>) before looking at the body, and any
/// malformed or damaged record (<see cref="ErrorCode.StorageFailure"/>); they never guess.
/// </summary>
internal static class TxRecordCodec
{
    /// <summary>The schema this library writes and the newest it reads.</summary>
    public const ushort SchemaVersion = 1;

    private const int ChecksumLength = 32;
    public const int MaxAttempts = 64;
    private static readonly byte[] Magic = "SCTX"u8.ToArray();

    public static byte[] Encode(TxRecord record)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(SchemaVersion);
            w.Write(record.Key);
            w.Write(record.Operation);
            w.Write((byte)record.Status);
            w.Write(record.To is { } to);
            if (record.To is { } callee)
            {
                w.Write(callee.ToArray());
            }

            WriteInteger(w, record.Value);
            WriteBytes(w, record.Data);
            WriteInteger(w, record.GasLimit);
            w.Write(record.Deadline?.ToUnixTimeSeconds() ?? long.MinValue);
            w.Write(record.Attempts.Count);
            foreach (var attempt in record.Attempts)
            {
                w.Write(attempt.Nonce);
                WriteInteger(w, attempt.Fees.MaxFeePerGas);
                WriteInteger(w, attempt.Fees.MaxPriorityFeePerGas);
                w.Write(attempt.Hash.ToArray());
                WriteBytes(w, attempt.Raw);
            }

            w.Write(record.MinedHash is not null);
            if (record.MinedHash is { } mined)
            {
                w.Write(mined.ToArray());
            }
        }

        var body = stream.ToArray();
        return [.. body, .. SHA256.HashData(body)];
    }

    /// <exception cref="StateChannelException">
    /// <see cref="ErrorCode.UnsupportedSchemaVersion"/> for a newer schema; <see cref="ErrorCode.StorageFailure"/> for anything malformed.
    /// </exception>
    public static TxRecord Decode(byte[] bytes, string key)
    {
        if (bytes.Length < Magic.Length + sizeof(ushort) + ChecksumLength || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw Corrupt(key, "it is not a transaction record");
        }

        var schema = BitConverter.ToUInt16(bytes, Magic.Length);
        if (schema > SchemaVersion)
        {
            throw new StateChannelException(
                ErrorCode.UnsupportedSchemaVersion,
                $"The journaled transaction {key} has schema {schema}; this library reads up to {SchemaVersion}.");
        }

        var bodyLength = bytes.Length - ChecksumLength;
        if (schema == 0 || !SHA256.HashData(bytes.AsSpan(0, bodyLength)).AsSpan().SequenceEqual(bytes.AsSpan(bodyLength)))
        {
            throw Corrupt(key, schema == 0 ? "its schema version is 0" : "its checksum does not match its content");
        }

        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, Magic.Length + sizeof(ushort), bodyLength - Magic.Length - sizeof(ushort)), Encoding.UTF8);
            var storedKey = r.ReadString();
            var operation = r.ReadString();
            var status = (TxStatus)r.ReadByte();
            if (!Enum.IsDefined(status))
            {
                throw Corrupt(key, $"unknown status {(byte)status}");
            }

            EthAddress? to = r.ReadBoolean() ? EthAddress.FromBytes(r.ReadBytes(EthAddress.Length)) : null;
            var value = ReadInteger(r);
            var data = ReadBytes(r);
            var gasLimit = ReadInteger(r);
            var deadline = r.ReadInt64();
            var count = r.ReadInt32();
            if (count is < 1 or > MaxAttempts)
            {
                throw Corrupt(key, $"it has {count} attempts");
            }

            var attempts = new List<TxAttempt>(count);
            for (var i = 0; i < count; i++)
            {
                var nonce = r.ReadUInt64();
                var fees = new Fees(ReadInteger(r), ReadInteger(r));
                var hash = Hash32.FromBytes(r.ReadBytes(Hash32.Length));
                attempts.Add(new TxAttempt(nonce, fees, hash, ReadBytes(r)));
            }

            Hash32? mined = r.ReadBoolean() ? Hash32.FromBytes(r.ReadBytes(Hash32.Length)) : null;
            if (r.BaseStream.Position != r.BaseStream.Length)
            {
                throw Corrupt(key, "it has trailing bytes");
            }

            if (!string.Equals(storedKey, key, StringComparison.Ordinal))
            {
                throw Corrupt(key, $"it holds the record of {storedKey}");
            }

            return new TxRecord
            {
                Key = storedKey,
                Operation = operation,
                Status = status,
                To = to,
                Value = value,
                Data = data,
                GasLimit = gasLimit,
                Deadline = deadline == long.MinValue ? null : DateTimeOffset.FromUnixTimeSeconds(deadline),
                Attempts = attempts,
                MinedHash = mined,
            };
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or FormatException)
        {
            throw Corrupt(key, "it is truncated or malformed");
        }
    }

    private static void WriteBytes(BinaryWriter w, byte[] bytes)
    {
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    private static byte[] ReadBytes(BinaryReader r)
    {
        var length = r.ReadInt32();
        if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position)
        {
            throw new FormatException("A length runs past the end.");
        }

        return r.ReadBytes(length);
    }

    private static void WriteInteger(BinaryWriter w, BigInteger value)
    {
        if (value.Sign < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "Journal integers are unsigned.");
        }

        WriteBytes(w, value.ToByteArray(isUnsigned: true, isBigEndian: true));
    }

    private static BigInteger ReadInteger(BinaryReader r)
    {
        var bytes = ReadBytes(r);
        if (bytes.Length > 32)
        {
            throw new FormatException("An integer is wider than 256 bits.");
        }

        return new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
    }

    private static StateChannelException Corrupt(string key, string why) =>
        new(ErrorCode.StorageFailure, $"The journaled transaction {key} is corrupt: {why}.");
}
