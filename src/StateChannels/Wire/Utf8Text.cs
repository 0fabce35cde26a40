using System.Text;

namespace StateChannels.Wire;

/// <summary>UTF-8 helpers for text that crosses the wire.</summary>
internal static class Utf8Text
{
    /// <summary>
    /// The longest prefix of <paramref name="text"/> whose UTF-8 form fits in <paramref name="maxBytes"/>,
    /// cut between whole code points (never inside a surrogate pair), so it always re-encodes cleanly.
    /// Lone surrogates are replaced, so the result is always valid UTF-8.
    /// </summary>
    public static string Truncate(string text, int maxBytes)
    {
        var bytes = 0;
        var sb = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            var n = rune.Utf8SequenceLength;
            if (bytes + n > maxBytes)
            {
                break;
            }

            bytes += n;
            sb.Append(rune.ToString());
        }

        return sb.ToString();
    }
}
