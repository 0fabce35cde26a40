using System.Text.Json;

namespace StateChannels.Integration.Tests.Support;

/// <summary>One JSON progress line of a PeerHost process.</summary>
public sealed class HostLine
{
    private HostLine(string raw, JsonElement root)
    {
        Raw = raw;
        Root = root;
        Ev = root.TryGetProperty("ev", out var ev) ? ev.GetString() ?? string.Empty : string.Empty;
    }

    public string Raw { get; }

    public JsonElement Root { get; }

    public string Ev { get; }

    public static HostLine? TryParse(string raw)
    {
        if (!raw.StartsWith('{'))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(raw);
            return new HostLine(raw, doc.RootElement.Clone());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public string? Str(string name) =>
        Root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? (v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText()) : null;

    public ulong U64(string name) => Root.GetProperty(name).GetUInt64();

    public Amount Amount(string name) => StateChannels.Amount.Parse(Str(name) ?? throw new KeyNotFoundException(name));

    public override string ToString() => Raw;
}
