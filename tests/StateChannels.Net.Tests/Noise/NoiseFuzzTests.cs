using NBitcoin.Secp256k1;
using StateChannels.Net.Framing;
using StateChannels.Net.Noise;

namespace StateChannels.Net.Tests.Noise;

/// <summary>
/// Random and mutated inputs for the three handshake acts and the encrypted message decoder: no crash, only the
/// typed refusals (a <see cref="NoiseError"/>, a <see cref="FrameViolationException"/>), and never a plaintext
/// the sender did not send. Seeded: a failure prints its seed; set NOISE_FUZZ_SEED to replay it.
/// </summary>
public sealed class NoiseFuzzTests
{
    private const int DecoderInputs = 100_000;
    private const int ActOneInputs = 6_000;
    private const int ActTwoInputs = 3_000;
    private const int ActThreeInputs = 1_000;

    private const string ResponderKey = "028d7500dd4c12685d1f568b4c2b5048e8534b873319f3a8daa612b469132ec7f7";

    private static readonly byte[] Ck = Bolt8VectorTests.Hex("ck");
    private static readonly byte[] Key = Bolt8VectorTests.Hex("initiatorSk");

    [Fact]
    public void HandshakeActs_RandomAndMutated_OnlyTypedRefusals()
    {
        int seed = Seed();
        var random = new Random(seed);
        byte[] actOne = Bolt8VectorTests.Hex("actOne");
        byte[] actTwo = Bolt8VectorTests.Hex("actTwo");
        byte[] actThree = Bolt8VectorTests.Hex("actThree");
        int accepted = 0;
        Run(seed, () =>
        {
            for (int i = 0; i < ActOneInputs; i++)
            {
                using NoiseHandshake responder = Bolt8VectorTests.NewResponder();
                accepted += Check(responder.ReadActOne(Mutate(random, actOne)));
            }

            for (int i = 0; i < ActTwoInputs; i++)
            {
                using NoiseHandshake initiator = Bolt8VectorTests.NewInitiator();
                initiator.WriteActOne();
                accepted += Check(initiator.ReadActTwo(Mutate(random, actTwo)));
            }

            for (int i = 0; i < ActThreeInputs; i++)
            {
                using NoiseHandshake responder = Bolt8VectorTests.NewResponder();
                Assert.Equal(NoiseError.None, responder.ReadActOne(actOne));
                responder.WriteActTwo();
                accepted += Check(responder.ReadActThree(Mutate(random, actThree)));
            }
        });

        // A mutation can leave an act intact (e.g. an insert then a delete); anything else must be refused.
        Assert.True(accepted < (ActOneInputs + ActTwoInputs + ActThreeInputs) / 50, $"seed {seed}: {accepted} mutated acts accepted");
    }

    [Fact]
    public async Task Decoder_RandomAndMutatedCiphertext_OnlyTypedErrorsAndOnlyWholeSentMessages()
    {
        int seed = Seed();
        var random = new Random(seed);
        int rejected = 0;
        for (int i = 0; i < DecoderInputs; i++)
        {
            (byte[] wire, List<byte[]> sent) = Messages(random);
            byte[] input = random.Next(10) == 0 ? RandomBytes(random, random.Next(0, 200)) : MutateStream(random, wire, sent);
            (byte[] decoded, bool failed) = await DecodeAsync(input, seed);
            rejected += failed ? 1 : 0;

            // Authenticity: what came out is exactly the first j messages sent, for some j (maybe none).
            int j = 0;
            int offset = 0;
            while (j < sent.Count && offset + sent[j].Length <= decoded.Length && decoded.AsSpan(offset, sent[j].Length).SequenceEqual(sent[j]))
            {
                offset += sent[j++].Length;
            }

            Assert.True(offset == decoded.Length, $"seed {seed}, input {i}: the decoder produced bytes that were never sent");
        }

        Assert.True(rejected > DecoderInputs / 2, $"seed {seed}: only {rejected} inputs rejected");
    }

    [Fact]
    public async Task Decoder_ValidStreamInRandomChunks_DeliversEveryByteInOrder()
    {
        int seed = Seed();
        var random = new Random(seed);
        for (int run = 0; run < 200; run++)
        {
            using var send = new NoiseCipherState(Ck, Key);
            var plain = new MemoryStream();
            var wire = new MemoryStream();
            for (int m = random.Next(1, 6); m > 0; m--)
            {
                // Up to 70,000 bytes: several BOLT 8 messages, and a read-ahead buffer that must grow.
                byte[] payload = RandomBytes(random, random.Next(1, random.Next(2) == 0 ? 300 : 70_000));
                byte[] sealedBytes = new byte[NoiseStream.SealedSize(payload.Length)];
                NoiseStream.Seal(send, payload, sealedBytes);
                plain.Write(payload);
                wire.Write(sealedBytes);
            }

            using var stream = new NoiseStream(
                new ChunkedStream(wire.ToArray(), random), new NoiseCipherState(Ck, Key), new NoiseCipherState(Ck, Key), [], NoisePublicKey.Parse(ResponderKey), TimeProvider.System)
            {
                MaxIncomingMessage = NoiseStream.MaxMessage,
            };
            var output = new MemoryStream();
            var buffer = new byte[random.Next(1, 9000)];
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(0, random.Next(1, buffer.Length + 1)))) > 0)
            {
                output.Write(buffer, 0, read);
            }

            Assert.True(plain.ToArray().AsSpan().SequenceEqual(output.ToArray()), $"seed {seed}, run {run}");
        }
    }

    private static int Seed() =>
        int.TryParse(Environment.GetEnvironmentVariable("NOISE_FUZZ_SEED"), out int seed) ? seed : Random.Shared.Next();

    private static void Run(int seed, Action body)
    {
        try
        {
            body();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Assert.Fail($"seed {seed}: {e}");
        }
    }

    private static int Check(NoiseError error)
    {
        Assert.True(Enum.IsDefined(error));
        return error == NoiseError.None ? 1 : 0;
    }

    private static async Task<(byte[] Decoded, bool Failed)> DecodeAsync(byte[] input, int seed)
    {
        using var stream = new NoiseStream(
            new MemoryStream(input), new NoiseCipherState(Ck, Key), new NoiseCipherState(Ck, Key), [], NoisePublicKey.Parse(ResponderKey), TimeProvider.System)
        {
            MaxIncomingMessage = NoiseStream.MaxMessage,
        };
        var output = new MemoryStream();
        var buffer = new byte[512];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                output.Write(buffer, 0, read);
            }

            return (output.ToArray(), false);
        }
        catch (FrameViolationException e)
        {
            Assert.True(e.Reason is CloseReason.DecryptionFailed or CloseReason.ConnectionLost or CloseReason.FrameTooLarge or CloseReason.ProtocolViolation, $"seed {seed}: {e.Reason}");
            return (output.ToArray(), true);
        }
        catch (Exception e)
        {
            Assert.Fail($"seed {seed}: untyped {e}");
            throw;
        }
    }

    /// <summary>One to four messages of 1..300 bytes, sealed in order.</summary>
    private static (byte[] Wire, List<byte[]> Sent) Messages(Random random)
    {
        using var send = new NoiseCipherState(Ck, Key);
        var sent = new List<byte[]>();
        var wire = new List<byte>();
        for (int m = random.Next(1, 5); m > 0; m--)
        {
            byte[] plaintext = RandomBytes(random, random.Next(1, 300));
            byte[] sealedBytes = new byte[NoiseStream.SealedSize(plaintext.Length)];
            NoiseStream.Seal(send, plaintext, sealedBytes);
            sent.Add(plaintext);
            wire.AddRange(sealedBytes);
        }

        return (wire.ToArray(), sent);
    }

    /// <summary>A stream-level attack: a flipped bit, a cut, an inserted or deleted byte, a replayed or swapped message.</summary>
    private static byte[] MutateStream(Random random, byte[] wire, List<byte[]> sent)
    {
        int first = NoiseStream.SealedSize(sent[0].Length);
        switch (random.Next(4))
        {
            case 0 when sent.Count > 1:
                // Reorder: the second message first.
                int second = NoiseStream.SealedSize(sent[1].Length);
                return [.. wire.AsSpan(first, second), .. wire.AsSpan(0, first), .. wire.AsSpan(first + second)];
            case 1:
                // Replay the first message after everything.
                return [.. wire, .. wire.AsSpan(0, first)];
            default:
                return Mutate(random, wire);
        }
    }

    /// <summary>One to three byte-level mutations (flip, set, insert, delete, truncate, extend).</summary>
    private static byte[] Mutate(Random random, byte[] original)
    {
        var bytes = new List<byte>(original);
        for (int n = random.Next(1, 4); n > 0; n--)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    bytes.AddRange(RandomBytes(random, random.Next(1, 40)));
                    break;
            }
        }

        return [.. bytes];
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>A stream that hands out its bytes in random chunks (1..4,096 bytes), as a socket may.</summary>
    private sealed class ChunkedStream(byte[] data, Random random) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer.IsEmpty ? buffer : buffer[..Math.Min(buffer.Length, random.Next(1, 4097))], cancellationToken);
    }
}
