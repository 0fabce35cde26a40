using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace StateChannels;

/// <summary>
/// A 20-byte Ethereum address. Immutable and allocation-free. <see cref="ToString"/> gives the
/// EIP-55 checksummed form; parsing accepts all-lower-case, all-upper-case, or a correct EIP-55
/// checksum, and rejects mixed case with a wrong checksum.
/// </summary>
public readonly struct EthAddress : IEquatable<EthAddress>, IComparable<EthAddress>
{
    /// <summary>Size in bytes.</summary>
    public const int Length = 20;

    // Big-endian: _hi holds bytes 0..7, _mid bytes 8..15, _lo bytes 16..19.
    private readonly ulong _hi;
    private readonly ulong _mid;
    private readonly uint _lo;

    private EthAddress(ulong hi, ulong mid, uint lo)
    {
        _hi = hi;
        _mid = mid;
        _lo = lo;
    }

    /// <summary>The zero address: ETH as a channel asset, and never a valid participant or signer.</summary>
    public static EthAddress Zero => default;

    /// <summary>Whether this is the zero address.</summary>
    public bool IsZero => (_hi | _mid | _lo) == 0;

    /// <summary>Creates an address from exactly 20 bytes.</summary>
    /// <param name="bytes">The 20 bytes.</param>
    /// <returns>The address.</returns>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 20 bytes long.</exception>
    public static EthAddress FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"Expected {Length} bytes, got {bytes.Length}.", nameof(bytes));
        }

        return new EthAddress(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
    }

    /// <summary>Parses <c>0x</c> and 40 hex digits, checking the EIP-55 checksum when the digits are mixed case.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="result">The address, or <see cref="Zero"/> when parsing fails.</param>
    /// <returns><see langword="true"/> when the text is a well-formed address with a valid checksum (if any).</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out EthAddress result)
    {
        result = default;
        Span<byte> bytes = stackalloc byte[Length];
        if (!Hex.TryDecode(text, bytes))
        {
            return false;
        }

        var candidate = FromBytes(bytes);
        ReadOnlySpan<char> digits = text[2..];
        bool hasLower = digits.IndexOfAnyInRange('a', 'f') >= 0;
        bool hasUpper = digits.IndexOfAnyInRange('A', 'F') >= 0;
        if (hasLower && hasUpper)
        {
            Span<char> expected = stackalloc char[2 + (2 * Length)];
            candidate.FormatChecksummed(expected);
            if (!digits.SequenceEqual(expected[2..]))
            {
                return false;
            }
        }

        result = candidate;
        return true;
    }

    /// <summary>Parses <c>0x</c> and 40 hex digits, checking the EIP-55 checksum when the digits are mixed case.</summary>
    /// <param name="text">The text to parse; <see langword="null"/> fails.</param>
    /// <param name="result">The address, or <see cref="Zero"/> when parsing fails.</param>
    /// <returns><see langword="true"/> when the text is a well-formed address with a valid checksum (if any).</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out EthAddress result)
    {
        if (text is null)
        {
            result = default;
            return false;
        }

        return TryParse(text.AsSpan(), out result);
    }

    /// <summary>Parses <c>0x</c> and 40 hex digits, checking the EIP-55 checksum when the digits are mixed case.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The address.</returns>
    /// <exception cref="StateChannelException">
    /// The text is malformed or its checksum is wrong (<see cref="ErrorCode.InvalidFormat"/>).
    /// </exception>
    public static EthAddress Parse(ReadOnlySpan<char> text) =>
        TryParse(text, out EthAddress result)
            ? result
            : throw new StateChannelException(ErrorCode.InvalidFormat, "Malformed address: expected 0x and 40 hex digits with a valid EIP-55 checksum if mixed case.");

    /// <summary>Writes the 20 bytes to <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 20 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 20 bytes.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination must hold {Length} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _lo);
        BinaryPrimitives.WriteUInt64BigEndian(destination, _hi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _mid);
    }

    /// <summary>Copies the 20 bytes to a new array.</summary>
    /// <returns>A new 20-byte array.</returns>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>The address as <c>0x</c> and 40 lower-case hex digits (no checksum).</summary>
    /// <returns>The lower-case hex string.</returns>
    public string ToLowerHex()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        return Hex.Encode(bytes);
    }

    /// <summary>The EIP-55 checksummed form, e.g. <c>0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed</c>.</summary>
    /// <returns>The checksummed hex string.</returns>
    public override string ToString() => string.Create(2 + (2 * Length), this, static (chars, address) => address.FormatChecksummed(chars));

    /// <summary>Whether both are the same address.</summary>
    /// <param name="other">The address to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public bool Equals(EthAddress other) => _hi == other._hi && _mid == other._mid && _lo == other._lo;

    /// <summary>Whether <paramref name="obj"/> is the same address.</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public override bool Equals(object? obj) => obj is EthAddress other && Equals(other);

    /// <summary>A hash code of the address.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => HashCode.Combine(_hi, _mid, _lo);

    /// <summary>Orders addresses as unsigned 160-bit numbers (as Solidity compares them).</summary>
    /// <param name="other">The address to compare with.</param>
    /// <returns>Negative, zero or positive.</returns>
    public int CompareTo(EthAddress other)
    {
        int c = _hi.CompareTo(other._hi);
        if (c != 0)
        {
            return c;
        }

        c = _mid.CompareTo(other._mid);
        return c != 0 ? c : _lo.CompareTo(other._lo);
    }

    /// <summary>Whether both are the same address.</summary>
    /// <param name="left">The first address.</param>
    /// <param name="right">The second address.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(EthAddress left, EthAddress right) => left.Equals(right);

    /// <summary>Whether the addresses differ.</summary>
    /// <param name="left">The first address.</param>
    /// <param name="right">The second address.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(EthAddress left, EthAddress right) => !left.Equals(right);

    // EIP-55: hash the lower-case hex digits (ASCII, no 0x); a letter is upper case when the
    // matching nibble of the hash is >= 8.
    private void FormatChecksummed(Span<char> chars)
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        chars[0] = '0';
        chars[1] = 'x';
        Span<char> digits = chars[2..];
        Convert.TryToHexStringLower(bytes, digits, out _);

        Span<byte> ascii = stackalloc byte[2 * Length];
        for (int i = 0; i < ascii.Length; i++)
        {
            ascii[i] = (byte)digits[i];
        }

        Span<byte> hash = stackalloc byte[Keccak.HashSize];
        Keccak.Hash(ascii, hash);
        for (int i = 0; i < digits.Length; i++)
        {
            int nibble = (i & 1) == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f;
            if (nibble >= 8 && digits[i] >= 'a')
            {
                digits[i] = (char)(digits[i] - ('a' - 'A'));
            }
        }
    }
}
