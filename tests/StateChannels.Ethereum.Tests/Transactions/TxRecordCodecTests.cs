using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using StateChannels.Ethereum.Internal;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>The journal record codec: round trip, schema version, checksum, malformed input.</summary>
public sealed class TxRecordCodecTests
{
    private const string Key = "register/0xabc/7";

    [Fact]
    public void EncodeDecode_FullRecord_RoundTrips()
    {
        var record = Sample() with
        {
            Status = TxStatus.Confirmed,
            Deadline = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
            MinedHash = Hash32.CreateRandom(),
        };

        var decoded = TxRecordCodec.Decode(TxRecordCodec.Encode(record), Key);

        Assert.Equal(record.Key, decoded.Key);
        Assert.Equal(record.Operation, decoded.Operation);
        Assert.Equal(record.Status, decoded.Status);
        Assert.Equal(record.To, decoded.To);
        Assert.Equal(record.Value, decoded.Value);
        Assert.Equal(record.Data, decoded.Data);
        Assert.Equal(record.GasLimit, decoded.GasLimit);
        Assert.Equal(record.Deadline, decoded.Deadline);
        Assert.Equal(record.MinedHash, decoded.MinedHash);
        Assert.Equal(record.Attempts.Count, decoded.Attempts.Count);
        for (var i = 0; i < record.Attempts.Count; i++)
        {
            Assert.Equal(record.Attempts[i].Nonce, decoded.Attempts[i].Nonce);
            Assert.Equal(record.Attempts[i].Fees, decoded.Attempts[i].Fees);
            Assert.Equal(record.Attempts[i].Hash, decoded.Attempts[i].Hash);
            Assert.Equal(record.Attempts[i].Raw, decoded.Attempts[i].Raw);
        }
    }

    [Fact]
    public void EncodeDecode_ContractCreationWithoutDeadline_RoundTrips()
    {
        var record = Sample() with { To = null, Deadline = null, MinedHash = null };

        var decoded = TxRecordCodec.Decode(TxRecordCodec.Encode(record), Key);

        Assert.Null(decoded.To);
        Assert.Null(decoded.Deadline);
        Assert.Null(decoded.MinedHash);
    }

    [Fact]
    public void Decode_NewerSchema_ThrowsUnsupportedSchemaVersion()
    {
        var bytes = TxRecordCodec.Encode(Sample());
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), TxRecordCodec.SchemaVersion + 1);
        Reseal(bytes);

        var e = Assert.Throws<StateChannelException>(() => TxRecordCodec.Decode(bytes, Key));

        Assert.Equal(ErrorCode.UnsupportedSchemaVersion, e.Code);
    }

    [Fact]
    public void Decode_AnyFlippedBit_ThrowsStorageFailure()
    {
        var good = TxRecordCodec.Encode(Sample());
        for (var i = 6; i < good.Length; i += 7)
        {
            var bytes = good.ToArray();
            bytes[i] ^= 0x10;

            var e = Assert.Throws<StateChannelException>(() => TxRecordCodec.Decode(bytes, Key));
            Assert.Equal(ErrorCode.StorageFailure, e.Code);
        }
    }

    [Fact]
    public void Decode_TruncatedOrForeignBytes_ThrowsStorageFailure()
    {
        var good = TxRecordCodec.Encode(Sample());
        foreach (var bytes in new[] { good[..^1], good[..10], Array.Empty<byte>(), "not a record at all, clearly"u8.ToArray() })
        {
            var e = Assert.Throws<StateChannelException>(() => TxRecordCodec.Decode(bytes, Key));
            Assert.Equal(ErrorCode.StorageFailure, e.Code);
        }
    }

    [Fact]
    public void Decode_ValidRecordUnderAnotherKey_ThrowsStorageFailure()
    {
        var e = Assert.Throws<StateChannelException>(() => TxRecordCodec.Decode(TxRecordCodec.Encode(Sample()), "register/0xabc/8"));

        Assert.Equal(ErrorCode.StorageFailure, e.Code);
    }

    [Fact]
    public void Decode_ResealedGarbageBody_ThrowsStorageFailureNotAnotherException()
    {
        // A valid checksum over a body that does not parse (as a buggy writer would produce).
        byte[] bytes = [.. "SCTX"u8, 1, 0, 0xFF, 0xFF, 0xFF, 0x7F, .. new byte[32]];
        Reseal(bytes);

        var e = Assert.Throws<StateChannelException>(() => TxRecordCodec.Decode(bytes, Key));

        Assert.Equal(ErrorCode.StorageFailure, e.Code);
    }

    private static void Reseal(byte[] bytes) =>
        SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).CopyTo(bytes.AsSpan(bytes.Length - 32));

    private static TxRecord Sample() => new()
    {
        Key = Key,
        Operation = "Adjudicator.register",
        Status = TxStatus.Pending,
        To = EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        Value = BigInteger.Parse("123456789012345678901234567890", System.Globalization.CultureInfo.InvariantCulture),
        Data = [0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x01],
        GasLimit = 187_418,
        Attempts =
        [
            new TxAttempt(41, new Fees(3_000_000_000, 1_000_000_000), Hash32.CreateRandom(), [0x02, 0xF8, 0x01, 0x02]),
            new TxAttempt(41, new Fees(3_375_000_000, 1_125_000_000), Hash32.CreateRandom(), [0x02, 0xF8, 0x03]),
        ],
    };
}

/// <summary>Idempotency keys that would not fit the journal are shortened, uniquely and deterministically.</summary>
public sealed class JournalKeyTests
{
    private const string Prefix = "eth-tx/31337/0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266/";

    [Fact]
    public void FitKey_ShortKey_Unchanged()
    {
        Assert.Equal("register/0x01/3", TransactionManager.FitKey(Prefix, "register/0x01/3"));
    }

    [Fact]
    public void FitKey_LongKeys_FitAreStableAndDistinct()
    {
        var a = "deposit/0x" + new string('a', 64) + "/1/" + new string('9', 78) + "/" + new string('9', 78);
        var b = a[..^1] + "8";

        var fitA = TransactionManager.FitKey(Prefix, a);
        var fitB = TransactionManager.FitKey(Prefix, b);

        Assert.Equal(ITransactionJournal.MaxKeyLength, Prefix.Length + fitA.Length);
        Assert.StartsWith("deposit/0x", fitA, StringComparison.Ordinal);
        Assert.Equal(fitA, TransactionManager.FitKey(Prefix, a));
        Assert.NotEqual(fitA, fitB);
    }
}
