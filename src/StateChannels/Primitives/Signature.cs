using System.Diagnostics.CodeAnalysis;

namespace StateChannels;

/// <summary>
/// A 65-byte Ethereum ECDSA signature <c>r || s || v</c> as docs/encoding.md requires:
/// 1 &lt;= r &lt; n, 1 &lt;= s &lt;= n/2 (low-s), v ∈ {27, 28}. Every instance obtained from a
/// factory satisfies these rules; <c>default(Signature)</c> does not and is rejected by
/// <see cref="Ecdsa"/>. Recovering the zero address is rejected at recovery, not here.
/// </summary>
public readonly struct Signature : IEquatable<Signature>
{
    /// <summary>Size in bytes.</summary>
    public const int Length = 65;

    // secp256k1 group order n and n/2 (rounded down).
    internal static readonly Bytes32 CurveOrder = new(0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFE, 0xBAAEDCE6AF48A03B, 0xBFD25E8CD0364141);
    internal static readonly Bytes32 HalfCurveOrder = new(0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF, 0x5D576E7357A4501D, 0xDFE92F46681B20A0);

    private readonly Bytes32 _r;
    private readonly Bytes32 _s;
    private readonly byte _v;

    private Signature(Bytes32 r, Bytes32 s, byte v)
    {
        _r = r;
        _s = s;
        _v = v;
    }

    /// <summary>The r value (32 bytes, big-endian).</summary>
    public Hash32 R => Hash32.FromValue(_r);

    /// <summary>The s value (32 bytes, big-endian), always &lt;= n/2.</summary>
    public Hash32 S => Hash32.FromValue(_s);

    /// <summary>The recovery byte, 27 or 28.</summary>
    public byte V => _v;

    /// <summary>Whether the instance satisfies the rules (false only for <c>default(Signature)</c>).</summary>
    internal bool IsValid => IsValidComponents(_r, _s, _v);

    /// <summary>The recovery id, 0 or 1.</summary>
    internal int RecoveryId => _v - 27;

    /// <summary>Validates 65 bytes <c>r || s || v</c>.</summary>
    /// <param name="bytes">The candidate bytes (untrusted).</param>
    /// <param name="signature">The signature, or <c>default</c> when invalid.</param>
    /// <returns><see langword="true"/> when the length is 65, r and s are in range, s is low and v is 27 or 28.</returns>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out Signature signature)
    {
        signature = default;
        if (bytes.Length != Length)
        {
            return false;
        }

        Bytes32 r = Bytes32.Read(bytes[..32]);
        Bytes32 s = Bytes32.Read(bytes[32..64]);
        byte v = bytes[64];
        if (!IsValidComponents(r, s, v))
        {
            return false;
        }

        signature = new Signature(r, s, v);
        return true;
    }

    /// <summary>Validates 65 bytes <c>r || s || v</c>.</summary>
    /// <param name="bytes">The candidate bytes (untrusted).</param>
    /// <returns>The signature.</returns>
    /// <exception cref="StateChannelException">
    /// Wrong length, r or s out of range, high s, or v not 27/28 (<see cref="ErrorCode.InvalidSignature"/>).
    /// </exception>
    public static Signature FromBytes(ReadOnlySpan<byte> bytes) =>
        TryFromBytes(bytes, out Signature signature)
            ? signature
            : throw Invalid();

    /// <summary>Parses <c>0x</c> and 130 hex digits and validates the result as <see cref="TryFromBytes"/> does.</summary>
    /// <param name="text">The text to parse (untrusted).</param>
    /// <param name="signature">The signature, or <c>default</c> when invalid.</param>
    /// <returns><see langword="true"/> when the text is well formed and the signature valid.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out Signature signature)
    {
        Span<byte> bytes = stackalloc byte[Length];
        if (!Hex.TryDecode(text, bytes))
        {
            signature = default;
            return false;
        }

        return TryFromBytes(bytes, out signature);
    }

    /// <summary>Parses <c>0x</c> and 130 hex digits and validates the result as <see cref="TryFromBytes"/> does.</summary>
    /// <param name="text">The text to parse (untrusted); <see langword="null"/> fails.</param>
    /// <param name="signature">The signature, or <c>default</c> when invalid.</param>
    /// <returns><see langword="true"/> when the text is well formed and the signature valid.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out Signature signature)
    {
        if (text is null)
        {
            signature = default;
            return false;
        }

        return TryParse(text.AsSpan(), out signature);
    }

    /// <summary>Parses <c>0x</c> and 130 hex digits and validates the result as <see cref="FromBytes"/> does.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The signature.</returns>
    /// <exception cref="StateChannelException">
    /// The text is not 0x and 130 hex digits (<see cref="ErrorCode.InvalidFormat"/>), or the
    /// signature breaks a rule (<see cref="ErrorCode.InvalidSignature"/>).
    /// </exception>
    public static Signature Parse(ReadOnlySpan<char> text)
    {
        Span<byte> bytes = stackalloc byte[Length];
        if (!Hex.TryDecode(text, bytes))
        {
            throw new StateChannelException(ErrorCode.InvalidFormat, "Malformed signature: expected 0x and 130 hex digits.");
        }

        return FromBytes(bytes);
    }

    /// <summary>Writes the 65 bytes <c>r || s || v</c>.</summary>
    /// <param name="destination">At least 65 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 65 bytes.</exception>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException($"The destination must hold {Length} bytes.", nameof(destination));
        }

        destination[64] = _v;
        _r.Write(destination);
        _s.Write(destination[32..]);
    }

    /// <summary>Copies the 65 bytes <c>r || s || v</c> to a new array.</summary>
    /// <returns>A new 65-byte array.</returns>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary><c>0x</c> and 130 lower-case hex digits. Do not log it (STYLE.md: never log whole signatures).</summary>
    /// <returns>The hex string.</returns>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Length];
        WriteTo(bytes);
        return Hex.Encode(bytes);
    }

    /// <summary>Whether both are the same 65 bytes.</summary>
    /// <param name="other">The signature to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public bool Equals(Signature other) => _v == other._v && _r.Equals(other._r) && _s.Equals(other._s);

    /// <summary>Whether <paramref name="obj"/> is the same signature.</summary>
    /// <param name="obj">The object to compare with.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public override bool Equals(object? obj) => obj is Signature other && Equals(other);

    /// <summary>A hash code of the bytes.</summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => HashCode.Combine(_r, _s, _v);

    /// <summary>Whether both are the same 65 bytes.</summary>
    /// <param name="left">The first signature.</param>
    /// <param name="right">The second signature.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(Signature left, Signature right) => left.Equals(right);

    /// <summary>Whether the bytes differ.</summary>
    /// <param name="left">The first signature.</param>
    /// <param name="right">The second signature.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(Signature left, Signature right) => !left.Equals(right);

    /// <summary>Builds a signature from components a signer produced; validates them all the same.</summary>
    internal static Signature FromComponents(Bytes32 r, Bytes32 s, byte v) =>
        IsValidComponents(r, s, v) ? new Signature(r, s, v) : throw Invalid();

    private static bool IsValidComponents(Bytes32 r, Bytes32 s, byte v) =>
        (v == 27 || v == 28)
        && !r.IsZero && r.CompareTo(CurveOrder) < 0
        && !s.IsZero && s.CompareTo(HalfCurveOrder) <= 0;

    private static StateChannelException Invalid() =>
        new(ErrorCode.InvalidSignature, "Invalid signature: expected 65 bytes r || s || v with 1 <= r < n, 1 <= s <= n/2 and v in {27, 28}.");
}
