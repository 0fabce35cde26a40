using System.Diagnostics.CodeAnalysis;

namespace StateChannels;

/// <summary>
/// The id of a channel: <c>keccak256(abi.encode(chainId, adjudicator, params))</c> (docs/encoding.md).
/// It commits to the params, the chain and the adjudicator, so a state signed for one channel is
/// worthless in any other.
/// Immutable and allocation-free; <see cref="ToString"/> gives <c>0x</c> and 64 lower-case hex digits.
/// </summary>
public readonly struct ChannelId : IEquatable<ChannelId>, IComparable<ChannelId>
{
    /// <summary>Size in bytes.</summary>
    public const int Length = 32;

    private readonly Bytes32 _value;

    private ChannelId(Bytes32 value) => _value = value;

    /// <summary>All 32 bytes zero: the id of no channel.</summary>
    public static ChannelId Zero => default;

    /// <summary>Whether all 32 bytes are zero.</summary>
    public bool IsZero => _value.IsZero;

    internal Bytes32 Value => _value;

    /// <summary>Creates a value from exactly 32 bytes.</summary>
    /// <param name="bytes">The 32 bytes, big-endian when read as a number.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ArgumentException"><paramref name="bytes"/> is not 32 bytes long.</exception>
    public static ChannelId FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"Expected {Length} bytes, got {bytes.Length}.", nameof(bytes));
        }

        return new ChannelId(Bytes32.Read(bytes));
    }

    /// <summary>Views a 32-byte value (e.g. a Keccak-256 digest) as a channel id.</summary>
    /// <param name="hash">The 32 bytes.</param>
    /// <returns>The channel id.</returns>
    public static ChannelId FromHash32(Hash32 hash) => new(hash.Value);

    /// <summary>The id as a plain 32-byte value.</summary>
    /// <returns>The same 32 bytes.</returns>
    public Hash32 ToHash32() => Hash32.FromValue(_value);

    /// <summary>Parses <c>0x</c> followed by exactly 64 hex digits.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="result">The value, or <see cref="Zero"/> when parsing fails.</param>
    /// <returns><see langword="true"/> when the text is well formed.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out ChannelId result)
    {
        var ok = Bytes32.TryParse(text, out var value);
        result = new(value);
        return ok;
    }

    /// <summary>Parses <c>0x</c> followed by exactly 64 hex digits.</summary>
    /// <param name="text">The text to parse; <see langword="null"/> fails.</param>
    /// <param name="result">The value, or <see cref="Zero"/> when parsing fails.</param>
    /// <returns><see langword="true"/> when the text is well formed.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out ChannelId result)
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
    public static ChannelId Parse(ReadOnlySpan<char> text) =>
        TryParse(text, out ChannelId result)
            ? result
            : throw new StateChannelException(ErrorCode.InvalidFormat, "Malformed channel id: expected 0x and 64 hex digits.");

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
    public bool Equals(ChannelId other) => _value.Equals(other._value);

    /// <summary>Whether <paramref name="obj"/> is a <see cref="ChannelId"/> with the same bytes.</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public override bool Equals(object? obj) => obj is ChannelId other && Equals(other);

    /// <summary>A hash code of the bytes.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Orders by the bytes read as a big-endian unsigned number.</summary>
    /// <param name="other">The value to compare with.</param>
    /// <returns>Negative, zero or positive.</returns>
    public int CompareTo(ChannelId other) => _value.CompareTo(other._value);

    /// <summary><c>0x</c> followed by 64 lower-case hex digits.</summary>
    /// <returns>The hex string.</returns>
    public override string ToString() => _value.ToHex();

    /// <summary>Whether both hold the same bytes.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(ChannelId left, ChannelId right) => left.Equals(right);

    /// <summary>Whether the bytes differ.</summary>
    /// <param name="left">The first value.</param>
    /// <param name="right">The second value.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(ChannelId left, ChannelId right) => !left.Equals(right);
}
