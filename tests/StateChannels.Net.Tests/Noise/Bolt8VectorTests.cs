using System.Text.Json;
using NBitcoin.Secp256k1;
using StateChannels.Net.Framing;
using StateChannels.Net.Noise;

namespace StateChannels.Net.Tests.Noise;

/// <summary>tests/vectors/bolt8.json: BOLT 8's Appendix A (initiator, responder with its failing cases, message rotation).</summary>
public sealed class Bolt8VectorTests
{
    private static readonly JsonElement Vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "vectors", "bolt8.json"))).RootElement;

    public static TheoryData<string> InitiatorFailures => Names("initiatorFailures");

    public static TheoryData<string> ResponderFailures => Names("responderFailures");

    [Fact]
    public void Initiator_SuccessfulHandshake_MatchesActsAndKeys()
    {
        using NoiseHandshake initiator = NewInitiator();

        Assert.Equal(Hex("actOne"), initiator.WriteActOne());
        Assert.Equal(NoiseError.None, initiator.ReadActTwo(Hex("actTwo")));
        Assert.Equal(Hex("actThree"), initiator.WriteActThree());
        (NoiseCipherState send, NoiseCipherState receive) = initiator.Split();

        // The keys are checked through what they produce: the first message of the rotation vector uses sk.
        AssertEncrypts(send, Hex("initiatorSk"));
        AssertEncrypts(receive, Hex("initiatorRk"));
    }

    [Fact]
    public void Responder_SuccessfulHandshake_MatchesActsKeysAndLearnsInitiatorKey()
    {
        using NoiseHandshake responder = NewResponder();

        Assert.Equal(NoiseError.None, responder.ReadActOne(Hex("actOne")));
        Assert.Equal(Hex("actTwo"), responder.WriteActTwo());
        Assert.Equal(NoiseError.None, responder.ReadActThree(Hex("actThree")));
        (NoiseCipherState send, NoiseCipherState receive) = responder.Split();

        Assert.Equal(Hex("initiator", "ls.pub"), NoisePublicKey.From(responder.RemoteStatic!).ToArray());
        AssertEncrypts(receive, Hex("initiatorSk"));
        AssertEncrypts(send, Hex("initiatorRk"));
    }

    [Fact]
    public void BothSides_AfterHandshake_ShareTheHandshakeHash()
    {
        using NoiseHandshake initiator = NewInitiator();
        using NoiseHandshake responder = NewResponder();

        Assert.Equal(NoiseError.None, responder.ReadActOne(initiator.WriteActOne()));
        Assert.Equal(NoiseError.None, initiator.ReadActTwo(responder.WriteActTwo()));
        Assert.Equal(NoiseError.None, responder.ReadActThree(initiator.WriteActThree()));

        Assert.Equal(initiator.HandshakeHash.ToArray(), responder.HandshakeHash.ToArray());
    }

    [Theory]
    [MemberData(nameof(InitiatorFailures))]
    public void Initiator_BadActTwo_RefusedWithTheVectorsError(string name)
    {
        JsonElement vector = Case("initiatorFailures", name);
        using NoiseHandshake initiator = NewInitiator();
        Assert.Equal(Hex("actOne"), initiator.WriteActOne());

        NoiseError error = initiator.ReadActTwo(Convert.FromHexString(vector.GetProperty("actTwo").GetString()!));

        Assert.Equal(Enum.Parse<NoiseError>(vector.GetProperty("error").GetString()!), error);
    }

    [Theory]
    [MemberData(nameof(ResponderFailures))]
    public void Responder_BadActOneOrThree_RefusedWithTheVectorsError(string name)
    {
        JsonElement vector = Case("responderFailures", name);
        using NoiseHandshake responder = NewResponder();
        NoiseError error;
        if (vector.TryGetProperty("actOne", out JsonElement actOne))
        {
            error = responder.ReadActOne(Convert.FromHexString(actOne.GetString()!));
        }
        else
        {
            Assert.Equal(NoiseError.None, responder.ReadActOne(Hex("actOne")));
            Assert.Equal(Hex("actTwo"), responder.WriteActTwo());
            error = responder.ReadActThree(Convert.FromHexString(vector.GetProperty("actThree").GetString()!));
        }

        Assert.Equal(Enum.Parse<NoiseError>(vector.GetProperty("error").GetString()!), error);
    }

    [Fact]
    public void Messages_HelloThousandAndTwoTimes_MatchOutputsAcrossTwoKeyRotations()
    {
        JsonElement messages = Vectors.GetProperty("messages");
        byte[] hello = Convert.FromHexString(messages.GetProperty("plaintext").GetString()!);
        using var send = new NoiseCipherState(Hex("ck"), Hex("initiatorSk"));
        using var receive = new NoiseCipherState(Hex("ck"), Hex("initiatorSk"));
        var checkedOutputs = new List<int>();

        for (int i = 0; i <= 1001; i++)
        {
            byte[] wire = new byte[NoiseStream.SealedSize(hello.Length)];
            NoiseStream.Seal(send, hello, wire);
            if (messages.GetProperty("outputs").TryGetProperty(i.ToString(System.Globalization.CultureInfo.InvariantCulture), out JsonElement expected))
            {
                Assert.Equal(expected.GetString(), Convert.ToHexStringLower(wire));
                checkedOutputs.Add(i);
            }

            // The receiving side rotates in step and reads every message back.
            int length = NoiseStream.OpenLength(receive, wire.AsSpan(0, NoiseStream.HeaderSize), NoiseStream.MaxMessage);
            Span<byte> body = wire.AsSpan(NoiseStream.HeaderSize, length + 16);
            NoiseStream.OpenBody(receive, body);
            Assert.Equal(hello, body[..length].ToArray());
        }

        Assert.Equal([0, 1, 500, 501, 1000, 1001], checkedOutputs);
    }

    [Fact]
    public void Messages_ReplayedMessage_FailsItsMac()
    {
        using var send = new NoiseCipherState(Hex("ck"), Hex("initiatorSk"));
        using var receive = new NoiseCipherState(Hex("ck"), Hex("initiatorSk"));
        byte[] first = new byte[NoiseStream.SealedSize(5)];
        NoiseStream.Seal(send, "hello"u8, first);
        NoiseStream.OpenLength(receive, first.AsSpan(0, NoiseStream.HeaderSize), NoiseStream.MaxMessage);
        NoiseStream.OpenBody(receive, first.AsSpan(NoiseStream.HeaderSize));

        var error = Assert.Throws<FrameViolationException>(() => NoiseStream.OpenLength(receive, first.AsSpan(0, NoiseStream.HeaderSize), NoiseStream.MaxMessage));

        Assert.Equal(CloseReason.DecryptionFailed, error.Reason);
    }

    internal static NoiseHandshake NewInitiator() => NoiseHandshake.Initiator(
        PrivKey("initiator", "ls.priv"), PubKey("initiator", "rs.pub"), "lightning"u8, PrivKey("initiator", "e.priv"));

    internal static NoiseHandshake NewResponder() => NoiseHandshake.Responder(
        PrivKey("responder", "ls.priv"), "lightning"u8, PrivKey("responder", "e.priv"));

    internal static byte[] Hex(string name) => Convert.FromHexString(Vectors.GetProperty(name).GetString()!);

    private static byte[] Hex(string side, string name) => Convert.FromHexString(Vectors.GetProperty(side).GetProperty(name).GetString()!);

    private static ECPrivKey PrivKey(string side, string name) => Context.Instance.CreateECPrivKey(Hex(side, name));

    private static ECPubKey PubKey(string side, string name) => Context.Instance.CreatePubKey(Hex(side, name));

    private static void AssertEncrypts(NoiseCipherState state, byte[] key)
    {
        using var reference = new NoiseCipherState(Hex("ck"), key);
        byte[] a = new byte[21];
        byte[] b = new byte[21];
        state.Encrypt("hello"u8, a);
        reference.Encrypt("hello"u8, b);
        Assert.Equal(b, a);
    }

    private static JsonElement Case(string list, string name) =>
        Vectors.GetProperty(list).EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);

    private static TheoryData<string> Names(string list)
    {
        var data = new TheoryData<string>();
        foreach (JsonElement vector in Vectors.GetProperty(list).EnumerateArray())
        {
            data.Add(vector.GetProperty("name").GetString()!);
        }

        return data;
    }
}
