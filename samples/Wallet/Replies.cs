using System.Globalization;
using System.Text;

namespace StateChannels.Samples.Wallet;

/// <summary>
/// What the wallet prints on stdout, one line each, easy to read and to parse:
/// <code>
/// ok pay count=10 amount=1000 version=12 balance=999990000
/// error pay InsufficientFunds: ...
/// event received amount=1000 version=13 balance=999991000
/// </code>
/// Every command ends with exactly one <c>ok &lt;command&gt;</c> or <c>error &lt;command&gt;</c> line;
/// <c>event</c> lines can come at any time. Values never contain spaces, except the error message,
/// which runs to the end of its line.
/// </summary>
internal static class Replies
{
    /// <summary>The command succeeded.</summary>
    public static void Ok(string command, params (string Name, object? Value)[] fields) => Write("ok", command, fields);

    /// <summary>Something happened on its own (a payment arrived, a dispute was seen ...).</summary>
    public static void Event(string name, params (string Name, object? Value)[] fields) => Write("event", name, fields);

    /// <summary>The command failed; <paramref name="message"/> says why, on the rest of the line.</summary>
    public static void Error(string command, string message) =>
        Console.Out.WriteLine($"error {command} {message.ReplaceLineEndings(" ")}");

    /// <summary>A free-form line for people (history rows, help); parsers skip it.</summary>
    public static void Info(string text) => Console.Out.WriteLine("  " + text);

    private static void Write(string kind, string name, (string Name, object? Value)[] fields)
    {
        var line = new StringBuilder(kind).Append(' ').Append(name);
        foreach (var (field, value) in fields)
        {
            var text = value is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : value?.ToString() ?? "-";
            line.Append(' ').Append(field).Append('=').Append(text.Replace(' ', '_'));
        }

        // Console.Out is synchronized: lines from the event pump and from commands never interleave.
        Console.Out.WriteLine(line.ToString());
    }
}
