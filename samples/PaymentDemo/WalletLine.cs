using System.Globalization;

namespace StateChannels.Samples.PaymentDemo;

/// <summary>One line a wallet printed: kind (ok, error, event or info), name, and its key=value fields.</summary>
internal sealed record WalletLine(string Kind, string Name, IReadOnlyDictionary<string, string> Fields, string Rest)
{
    public string this[string field] =>
        Fields.TryGetValue(field, out var value) ? value : throw new DemoFailure($"the wallet's '{Kind} {Name}' line has no {field}: {Rest}");

    public Amount Amount(string field) => StateChannels.Amount.Parse(this[field]);

    public ulong U64(string field) => ulong.Parse(this[field], CultureInfo.InvariantCulture);

    public static WalletLine Parse(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || words[0] is not ("ok" or "error" or "event"))
        {
            return new WalletLine("info", string.Empty, new Dictionary<string, string>(), line);
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var word in words.Skip(2))
        {
            var eq = word.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                fields[word[..eq]] = word[(eq + 1)..];
            }
        }

        var rest = line.Length > words[0].Length + words[1].Length + 2 ? line[(words[0].Length + words[1].Length + 2)..] : string.Empty;
        return new WalletLine(words[0], words[1], fields, rest);
    }
}
