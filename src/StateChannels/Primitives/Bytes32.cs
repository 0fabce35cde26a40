using System.Buffers.Binary;

namespace StateChannels;

/// <summary>
/// 32 bytes held as four big-endian ulongs (<c>U0</c> most significant), so comparison is
/// numeric order of the uint256 the bytes encode, and copies never allocate.
/// </summary>
internal readonly struct Bytes32 : IEquatable<Bytes32>, IComparable<Bytes32>
{
    public const int Length = 32;

    public readonly ulong U0;
    public readonly ulong U1;
    public readonly ulong U2;
    public readonly ulong U3;

    public Bytes32(ulong u0, ulong u1, ulong u2, ulong u3)
    {
        U0 = u0;
        U1 = u1;
        U2 = u2;
        U3 = u3;
    }

    public bool IsZero => (U0 | U1 | U2 | U3) == 0;

    /// <summary>Reads exactly 32 bytes; the caller has checked the length.</summary>
    public static Bytes32 Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64BigEndian(source),
        BinaryPrimitives.ReadUInt64BigEndian(source[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(source[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(source[24..32]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..32], U3);
        BinaryPrimitives.WriteUInt64BigEndian(destination, U0);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], U1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], U2);
    }

    public bool Equals(Bytes32 other) => U0 == other.U0 && U1 == other.U1 && U2 == other.U2 && U3 == other.U3;

    public override bool Equals(object? obj) => obj is Bytes32 other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(U0, U1, U2, U3);

    public int CompareTo(Bytes32 other)
    {
        int c = U0.CompareTo(other.U0);
        if (c != 0)
        {
            return c;
        }

        c = U1.CompareTo(other.U1);
        if (c != 0)
        {
            return c;
        }

        c = U2.CompareTo(other.U2);
        return c != 0 ? c : U3.CompareTo(other.U3);
    }

    public string ToHex()
    {
        Span<byte> bytes = stackalloc byte[Length];
        Write(bytes);
        return Hex.Encode(bytes);
    }

    /// <summary>Parses <c>0x</c> followed by exactly 64 hex digits.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Bytes32 value)
    {
        Span<byte> bytes = stackalloc byte[Length];
        if (!Hex.TryDecode(text, bytes))
        {
            value = default;
            return false;
        }

        value = Read(bytes);
        return true;
    }

    /// <summary>Writes the 32 bytes, checking the destination's length.</summary>
    public void WriteChecked(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination must hold {Length} bytes.", nameof(destination));
        }

        Write(destination);
    }

    /// <summary>The 32 bytes in a new array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        Write(bytes);
        return bytes;
    }
}
