using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace StateChannels;

/// <summary>
/// A 32-byte value: a Keccak-256 digest, an EIP-712 struct hash, a nonce or a challenge.
/// Immutable and allocation-free; <see cref="ToString"/> gives <c>0x</c> and 64 lower-case hex digits.
/// </summary>
public readonly struct Hash32 : IEquatable<Hash32>, IComparable<Hash32>
{
    /// <summary>Size in bytes.</summary>
    public const int Length = 32;

    private readonly Bytes32 _value;

    private Hash32(Bytes32 value) => _value = value;

    /// <summary>All 32 bytes zero.</summary>
    public static Hash32 Zero => default;

    /// <summary>Whether all 32 bytes are zero.</summary>
    public bool IsZero => _value.IsZero;

    internal Bytes32 Value => _value;

    /// <summary>Creates a value from exactly 32 bytes.</summary>
    /// <param name="bytes">The 32 bytes, big-endian when read as a number.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes long.</exception>
    public static Hash32 FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"Expected {Length} bytes, got {bytes.Length}.", nameof(bytes));
        }

        return new Hash32(Bytes32.Read(bytes));
    }

    /// <summary>Creates 32 cryptographically random bytes (e.g. a channel nonce or a handshake challenge).</summary>
    /// <returns>The random value.</returns>
    public static Hash32 CreateRandom()
    {
        Span<byte> bytes = stackalloc byte[Length];
        RandomNumberGenerator.Fill(bytes);
        return FromBytes(bytes);
    }

    /// <summary>Parses <c>0x</c> followed by exactly 64 hex digits.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="result">The value, or <see cref="Zero"/> when parsing fails.</param>
    /// <returns><see langword="true"/> when the text is well formed.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out Hash32 result)
    {
        var ok = Bytes32.TryParse(text, out var value);
        result = new(value);
        return ok;
    }

    /// <summary>Parses <c>0x</c> followed by exactly 64 hex digits.</summary>
    /// <param name="text">The text to parse; <see langword="null"/> fails.</param>
    /// <param name="result">The value, or <see cref="Zero"/> when parsing fails.</param>
    /// <returns><see langword="true"/> when the text is well formed.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out Hash32 result)
    {
        if (text is null)
        {
            result = default;
            return false;
        }

        return TryParse(text.AsSpan(), out result);
    }

    /// <summary>Parses <c>0x</c> followed by exactly 64 hex digits.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The value.</returns>
    /// <exception cref="StateChannelException">The text is malformed (<see cref="ErrorCode.InvalidFormat"/>).</exception>
    public static Hash32 Parse(ReadOnlySpan<char> text) =>
        TryParse(text, out Hash32 result)
            ? result
            : throw new StateChannelException(ErrorCode.InvalidFormat, "Malformed 32-byte hex value: expected 0x and 64 hex digits.");

    /// <summary>Writes the 32 bytes to <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 32 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public void WriteTo(Span<byte> destination)
    {
        _value.WriteChecked(destination);
    }

    /// <summary>Copies the 32 bytes to a new array.</summary>
    /// <returns>A new 32-byte array.</returns>
    public byte[] ToArray()
    {
        return _value.ToArray();
    }

    /// <summary>Whether both hold the same bytes.</summary>
    /// <param name="other">The value to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public bool Equals(Hash32 other) => _value.Equals(other._value);

    /// <summary>Whether <paramref name="obj"/> is a <see cref="Hash32"/> with the same bytes.</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public override bool Equals(object? obj) => obj is Hash32 other && Equals(other);

    /// <summary>A hash code of the bytes.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Orders by the bytes read as a big-endian unsigned number.</summary>
    /// <param name="other">The value to compare with.</param>
    /// <returns>Negative, zero or positive.</returns>
    public int CompareTo(Hash32 other) => _value.CompareTo(other._value);

    /// <summary><c>0x</c> followed by 64 lower-case hex digits.</summary>
    /// <returns>The hex string.</returns>
    public override string ToString() => _value.ToHex();

    /// <summary>Whether both hold the same bytes.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(Hash32 left, Hash32 right) => left.Equals(right);

    /// <summary>Whether the bytes differ.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(Hash32 left, Hash32 right) => !left.Equals(right);

    internal static Hash32 FromValue(Bytes32 value) => new(value);
}
