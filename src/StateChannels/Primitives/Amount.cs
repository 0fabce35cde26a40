using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;

namespace StateChannels;

/// <summary>
/// A non-negative on-chain amount in the asset's smallest unit (wei for ETH). Backed by
/// <see cref="UInt128"/>: channel totals are below 2^121 (docs/encoding.md: each funding is
/// below 2^120), so every valid balance fits. Arithmetic is checked.
/// </summary>
public readonly struct Amount : IEquatable<Amount>, IComparable<Amount>
{
    private readonly UInt128 _value;

    /// <summary>Creates an amount.</summary>
    /// <param name="value">The amount in the smallest unit.</param>
    public Amount(UInt128 value) => _value = value;

    /// <summary>Nothing.</summary>
    public static Amount Zero => default;

    /// <summary>The largest representable amount, 2^128 - 1.</summary>
    public static Amount MaxValue => new(UInt128.MaxValue);

    /// <summary>The amount in the smallest unit.</summary>
    public UInt128 Value => _value;

    /// <summary>Whether this is zero.</summary>
    public bool IsZero => _value == UInt128.Zero;

    /// <summary>Converts an arbitrary-precision integer, checking the range.</summary>
    /// <param name="wei">The amount in the smallest unit.</param>
    /// <returns>The amount.</returns>
    /// <exception cref="StateChannelException">
    /// <paramref name="wei"/> is negative or above 2^128 - 1 (<see cref="ErrorCode.InsufficientFunds"/>).
    /// </exception>
    public static Amount FromWei(BigInteger wei) =>
        TryFromWei(wei, out Amount amount)
            ? amount
            : throw new StateChannelException(ErrorCode.InsufficientFunds, "The amount is negative or does not fit in 128 bits.");

    /// <summary>Converts an arbitrary-precision integer, checking the range.</summary>
    /// <param name="wei">The amount in the smallest unit.</param>
    /// <param name="amount">The amount, or zero when out of range.</param>
    /// <returns><see langword="true"/> when 0 &lt;= <paramref name="wei"/> &lt;= 2^128 - 1.</returns>
    public static bool TryFromWei(BigInteger wei, out Amount amount)
    {
        if (wei.Sign < 0 || wei > (BigInteger)UInt128.MaxValue)
        {
            amount = default;
            return false;
        }

        amount = new Amount((UInt128)wei);
        return true;
    }

    /// <summary>The amount as an arbitrary-precision integer.</summary>
    /// <returns>The amount in the smallest unit.</returns>
    public BigInteger ToBigInteger() => (BigInteger)_value;

    /// <summary>Parses a non-negative decimal integer: ASCII digits only, no sign, separators or whitespace.</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="result">The amount, or zero when parsing fails.</param>
    /// <returns><see langword="true"/> when the text is well formed and fits in 128 bits.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out Amount result)
    {
        if (UInt128.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out UInt128 value))
        {
            result = new Amount(value);
            return true;
        }

        result = default;
        return false;
    }

    /// <summary>Parses a non-negative decimal integer: ASCII digits only, no sign, separators or whitespace.</summary>
    /// <param name="text">The text to parse; <see langword="null"/> fails.</param>
    /// <param name="result">The amount, or zero when parsing fails.</param>
    /// <returns><see langword="true"/> when the text is well formed and fits in 128 bits.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out Amount result)
    {
        if (text is null)
        {
            result = default;
            return false;
        }

        return TryParse(text.AsSpan(), out result);
    }

    /// <summary>Parses a non-negative decimal integer: ASCII digits only, no sign, separators or whitespace.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The amount.</returns>
    /// <exception cref="StateChannelException">The text is malformed or too large (<see cref="ErrorCode.InvalidFormat"/>).</exception>
    public static Amount Parse(ReadOnlySpan<char> text) =>
        TryParse(text, out Amount result)
            ? result
            : throw new StateChannelException(ErrorCode.InvalidFormat, "Malformed amount: expected a decimal integer below 2^128.");

    /// <summary>Adds, failing on overflow.</summary>
    /// <param name="other">The amount to add.</param>
    /// <returns>The sum.</returns>
    /// <exception cref="StateChannelException">The sum exceeds 2^128 - 1 (<see cref="ErrorCode.InsufficientFunds"/>).</exception>
    public Amount Add(Amount other) =>
        TryAdd(other, out Amount sum)
            ? sum
            : throw new StateChannelException(ErrorCode.InsufficientFunds, "The sum of the amounts overflows 128 bits.");

    /// <summary>Subtracts, failing when <paramref name="other"/> is larger.</summary>
    /// <param name="other">The amount to subtract.</param>
    /// <returns>The difference.</returns>
    /// <exception cref="StateChannelException"><paramref name="other"/> exceeds this amount (<see cref="ErrorCode.InsufficientFunds"/>).</exception>
    public Amount Subtract(Amount other) =>
        TrySubtract(other, out Amount difference)
            ? difference
            : throw new StateChannelException(ErrorCode.InsufficientFunds, "The amount to subtract exceeds the balance.");

    /// <summary>Adds unless the sum overflows.</summary>
    /// <param name="other">The amount to add.</param>
    /// <param name="sum">The sum, or zero on overflow.</param>
    /// <returns><see langword="true"/> when the sum fits.</returns>
    public bool TryAdd(Amount other, out Amount sum)
    {
        UInt128 result = _value + other._value;
        if (result < _value)
        {
            sum = default;
            return false;
        }

        sum = new Amount(result);
        return true;
    }

    /// <summary>Subtracts unless <paramref name="other"/> is larger.</summary>
    /// <param name="other">The amount to subtract.</param>
    /// <param name="difference">The difference, or zero when it would be negative.</param>
    /// <returns><see langword="true"/> when <paramref name="other"/> &lt;= this amount.</returns>
    public bool TrySubtract(Amount other, out Amount difference)
    {
        if (other._value > _value)
        {
            difference = default;
            return false;
        }

        difference = new Amount(_value - other._value);
        return true;
    }

    /// <summary>Writes the amount as a 32-byte big-endian ABI <c>uint256</c> word.</summary>
    /// <param name="destination">At least 32 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public void WriteUInt256(Span<byte> destination)
    {
        if (destination.Length < 32)
        {
            throw new ArgumentException("The destination must hold 32 bytes.", nameof(destination));
        }

        destination[..16].Clear();
        BinaryPrimitives.WriteUInt128BigEndian(destination[16..32], _value);
    }

    /// <summary>Whether both are the same amount.</summary>
    /// <param name="other">The amount to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public bool Equals(Amount other) => _value == other._value;

    /// <summary>Whether <paramref name="obj"/> is the same amount.</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public override bool Equals(object? obj) => obj is Amount other && Equals(other);

    /// <summary>A hash code of the amount.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Orders by value.</summary>
    /// <param name="other">The amount to compare with.</param>
    /// <returns>Negative, zero or positive.</returns>
    public int CompareTo(Amount other) => _value.CompareTo(other._value);

    /// <summary>The amount as a decimal integer in the smallest unit (invariant culture).</summary>
    /// <returns>The decimal string.</returns>
    public override string ToString() => _value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Converts an unsigned 64-bit amount; never fails.</summary>
    /// <param name="value">The amount in the smallest unit.</param>
    public static implicit operator Amount(ulong value) => new(value);

    /// <summary>Whether both are the same amount.</summary>
    /// <param name="left">The first amount.</param>
    /// <param name="right">The second amount.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(Amount left, Amount right) => left.Equals(right);

    /// <summary>Whether the amounts differ.</summary>
    /// <param name="left">The first amount.</param>
    /// <param name="right">The second amount.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(Amount left, Amount right) => !left.Equals(right);

    /// <summary>Whether <paramref name="left"/> is smaller.</summary>
    /// <param name="left">The first amount.</param>
    /// <param name="right">The second amount.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> &lt; <paramref name="right"/>.</returns>
    public static bool operator <(Amount left, Amount right) => left._value < right._value;

    /// <summary>Whether <paramref name="left"/> is larger.</summary>
    /// <param name="left">The first amount.</param>
    /// <param name="right">The second amount.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> &gt; <paramref name="right"/>.</returns>
    public static bool operator >(Amount left, Amount right) => left._value > right._value;

    /// <summary>Whether <paramref name="left"/> is smaller or equal.</summary>
    /// <param name="left">The first amount.</param>
    /// <param name="right">The second amount.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> &lt;= <paramref name="right"/>.</returns>
    public static bool operator <=(Amount left, Amount right) => left._value <= right._value;

    /// <summary>Whether <paramref name="left"/> is larger or equal.</summary>
    /// <param name="left">The first amount.</param>
    /// <param name="right">The second amount.</param>
    /// <returns><see langword="true"/> when <paramref name="left"/> &gt;= <paramref name="right"/>.</returns>
    public static bool operator >=(Amount left, Amount right) => left._value >= right._value;

    /// <summary>Checked addition: throws <see cref="StateChannelException"/> (<see cref="ErrorCode.InsufficientFunds"/>) on overflow.</summary>
    /// <param name="left">The first amount.</param>
    /// <param name="right">The second amount.</param>
    /// <returns>The sum.</returns>
    public static Amount operator +(Amount left, Amount right) => left.Add(right);

    /// <summary>Checked subtraction: throws <see cref="StateChannelException"/> (<see cref="ErrorCode.InsufficientFunds"/>) below zero.</summary>
    /// <param name="left">The amount to subtract from.</param>
    /// <param name="right">The amount to subtract.</param>
    /// <returns>The difference.</returns>
    public static Amount operator -(Amount left, Amount right) => left.Subtract(right);
}
