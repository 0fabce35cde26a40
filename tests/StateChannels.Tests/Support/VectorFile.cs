using System.Numerics;
using System.Text.Json;

namespace StateChannels.Tests.Support;

/// <summary>One case of tests/vectors/eip712.json, read with BCL parsers only (independent of the code under test).</summary>
internal sealed record VectorCase(
    string Name,
    BigInteger ChainId,
    string Adjudicator,
    string Participant0,
    string Participant1,
    string Asset,
    BigInteger ChallengeDuration,
    string Nonce,
    BigInteger Funding0,
    BigInteger Funding1,
    string ChannelId,
    BigInteger Version,
    BigInteger Balance0,
    BigInteger Balance1,
    bool IsFinal,
    string DomainSeparator,
    string StructHash,
    string Digest,
    string PrivateKey0,
    string PrivateKey1,
    string Sig0,
    string Sig1)
{
    public override string ToString() => Name;
}

internal static class VectorFile
{
    private static readonly Lazy<IReadOnlyList<VectorCase>> CasesLazy = new(Load);

    public static IReadOnlyList<VectorCase> Cases => CasesLazy.Value;

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (VectorCase c in Cases)
        {
            data.Add(c.Name);
        }

        return data;
    }

    public static VectorCase Get(string name) => Cases.Single(c => c.Name == name);

    private static IReadOnlyList<VectorCase> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "vectors", "eip712.json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        var cases = new List<VectorCase>();
        foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
        {
            JsonElement p = c.GetProperty("params");
            JsonElement s = c.GetProperty("state");
            cases.Add(new VectorCase(
                Str(c, "name"),
                Big(c, "chainId"),
                Str(c, "adjudicator"),
                Str(p, "participant0"),
                Str(p, "participant1"),
                Str(p, "asset"),
                Big(p, "challengeDuration"),
                Str(p, "nonce"),
                Big(p, "funding0"),
                Big(p, "funding1"),
                Str(c, "channelId"),
                Big(s, "version"),
                Big(s, "balance0"),
                Big(s, "balance1"),
                s.GetProperty("isFinal").GetBoolean(),
                Str(c, "domainSeparator"),
                Str(c, "structHash"),
                Str(c, "digest"),
                Str(c, "privateKey0"),
                Str(c, "privateKey1"),
                Str(c, "sig0"),
                Str(c, "sig1")));
        }

        return cases;
    }

    private static string Str(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    private static BigInteger Big(JsonElement e, string name) =>
        BigInteger.Parse(e.GetProperty(name).GetString()!, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture);
}
