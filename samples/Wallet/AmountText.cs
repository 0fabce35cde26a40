using System.Globalization;
using System.Numerics;

namespace StateChannels.Samples.Wallet;

/// <summary>Amounts as people type them: wei (<c>1000</c>), or with a unit (<c>5gwei</c>, <c>0.25eth</c>).</summary>
internal static class AmountText
{
    private static readonly (string Unit, int Decimals)[] Units = [("eth", 18), ("gwei", 9), ("wei", 0)];

    /// <exception cref="ArgumentException">Not an amount.</exception>
    public static Amount Parse(string text) =>
        TryParse(text, out var amount) ? amount : throw new ArgumentException($"'{text}' is not an amount (e.g. 1000, 5gwei, 0.25eth)");

    public static bool TryParse(string text, out Amount amount)
    {
        amount = Amount.Zero;
        var (number, decimals) = (text.Trim().ToLowerInvariant(), 0);
        foreach (var (unit, d) in Units)
        {
            if (number.EndsWith(unit, StringComparison.Ordinal))
            {
                (number, decimals) = (number[..^unit.Length], d);
                break;
            }
        }

        // Split "0.25" into whole and fraction and scale by 10^decimals without floating point.
        var parts = number.Split('.');
        if (parts.Length > 2 || parts[0].Length == 0 || (parts.Length == 2 && (parts[1].Length == 0 || parts[1].Length > decimals)))
        {
            return false;
        }

        var fraction = parts.Length == 2 ? parts[1].PadRight(decimals, '0') : new string('0', decimals);
        return BigInteger.TryParse(parts[0] + fraction, NumberStyles.None, CultureInfo.InvariantCulture, out var wei)
            && Amount.TryFromWei(wei, out amount);
    }

    /// <summary>Wei with thousands separators and, for larger amounts, the ETH value: <c>250,000,000,000,000,000 wei (0.25 ETH)</c>.</summary>
    public static string Format(Amount amount)
    {
        var wei = amount.ToBigInteger();
        var text = wei.ToString("N0", CultureInfo.InvariantCulture) + " wei";
        if (wei >= BigInteger.Pow(10, 12))
        {
            var eth = (decimal)wei / 1_000_000_000_000_000_000m;
            text += $" ({eth.ToString("0.######", CultureInfo.InvariantCulture)} ETH)";
        }

        return text;
    }
}
