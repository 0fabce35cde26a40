using System.Diagnostics.CodeAnalysis;

namespace StateChannels;

/// <summary>
/// Strict hexadecimal encoding as Ethereum tools write it: a <c>0x</c> prefix (lower-case x),
/// an even number of digits, no whitespace, no sign. Digits may be upper or lower case.
/// </summary>
public static class Hex
{
    /// <summary>Encodes bytes as <c>0x</c> followed by lower-case hex digits.</summary>
    /// <param name="bytes">The bytes to encode.</param>
    /// <returns>The hex string; <c>"0x"</c> for no bytes.</returns>
    public static string Encode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return "0x";
        }

        int length = 2 + (bytes.Length * 2);
        Span<char> chars = length <= 512 ? stackalloc char[length] : new char[length];
        chars[0] = '0';
        chars[1] = 'x';
        Convert.TryToHexStringLower(bytes, chars[2..], out _);
        return new string(chars);
    }

    /// <summary>
    /// Decodes <c>0x</c>-prefixed hex of exactly <c>2 * destination.Length</c> digits into
    /// <paramref name="destination"/>.
    /// </summary>
    /// <param name="text">The text to decode.</param>
    /// <param name="destination">Receives the bytes; its length fixes the expected digit count.</param>
    /// <returns><see langword="true"/> when the text is well formed and of the expected length.</returns>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        if (!TryStripPrefix(text, out ReadOnlySpan<char> digits) || digits.Length != destination.Length * 2)
        {
            return false;
        }

        return TryDecodeDigits(digits, destination);
    }

    /// <summary>Decodes <c>0x</c>-prefixed hex of any even length (including <c>"0x"</c> for no bytes).</summary>
    /// <param name="text">The text to decode.</param>
    /// <param name="bytes">The decoded bytes, or <see langword="null"/> when the text is malformed.</param>
    /// <returns><see langword="true"/> when the text is well formed.</returns>
    public static bool TryDecode(ReadOnlySpan<char> text, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        if (!TryStripPrefix(text, out ReadOnlySpan<char> digits) || (digits.Length & 1) != 0)
        {
            return false;
        }

        var result = new byte[digits.Length / 2];
        if (!TryDecodeDigits(digits, result))
        {
            return false;
        }

        bytes = result;
        return true;
    }

    /// <summary>Decodes <c>0x</c>-prefixed hex of any even length.</summary>
    /// <param name="text">The text to decode.</param>
    /// <returns>The decoded bytes.</returns>
    /// <exception cref="StateChannelException">The text is malformed (<see cref="ErrorCode.InvalidFormat"/>).</exception>
    public static byte[] Decode(ReadOnlySpan<char> text) =>
        TryDecode(text, out byte[]? bytes)
            ? bytes
            : throw new StateChannelException(ErrorCode.InvalidFormat, "Malformed hex: expected 0x followed by an even number of hex digits.");

    private static bool TryStripPrefix(ReadOnlySpan<char> text, out ReadOnlySpan<char> digits)
    {
        if (text.Length < 2 || text[0] != '0' || text[1] != 'x')
        {
            digits = default;
            return false;
        }

        digits = text[2..];
        return true;
    }

    private static bool TryDecodeDigits(ReadOnlySpan<char> digits, Span<byte> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            int hi = Nibble(digits[2 * i]);
            int lo = Nibble(digits[(2 * i) + 1]);
            if ((hi | lo) < 0)
            {
                destination[..i].Clear();
                return false;
            }

            destination[i] = (byte)((hi << 4) | lo);
        }

        return true;
    }

    private static int Nibble(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
