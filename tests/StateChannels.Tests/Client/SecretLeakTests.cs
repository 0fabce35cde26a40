using System.Security.Cryptography;
using StateChannels.Protocol;
using StateChannels.Testing;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Client;

/// <summary>
/// THREATS F5: no log line (any level, with its structured fields and exception text) and no
/// exception of a whole channel life — opening, payments both ways, a lost message and a
/// reestablish, a byzantine peer, refused calls, a cooperative close — contains a private key
/// (or any 8-byte run of it, in hex or base64) or a whole signature (or its r or s).
/// </summary>
public sealed class SecretLeakTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly SimulatedChain _chain = new(new Eip712Domain(31337, EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3")));
    private readonly CapturingLoggerFactory _logs = new();
    private readonly List<string> _exceptions = [];
    private readonly List<byte[]> _secrets = [];

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Limit;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not reached in time");
            await Task.Delay(5);
        }
    }

    private PrivateKey NewKey()
    {
        var bytes = new byte[PrivateKey.Length];
        PrivateKey? key;
        do
        {
            RandomNumberGenerator.Fill(bytes);
        }
        while (!PrivateKey.TryFromBytes(bytes, out key));
        _secrets.Add(bytes);
        return key;
    }

    private async Task ExpectFailureAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(call);
        _exceptions.Add(e.ToString());
    }

    private void ExpectFailure(Action call) => _exceptions.Add(Assert.ThrowsAny<Exception>(call).ToString());

    [Fact]
    public async Task LogsAndExceptions_WholeChannelLifeAndFailures_NeverContainKeysOrWholeSignatures()
    {
        await using var alice = await Party.CreateAsync("alice", _chain, keyOf: NewKey(), loggerFactory: _logs);
        await using var bob = await Party.CreateAsync("bob", _chain, keyOf: NewKey(), loggerFactory: _logs);
        var link = Party.Connect(alice, bob);
        var a = await alice.Client.OpenChannelAsync(bob.Address, 1_000, 1_000).WaitAsync(Limit);
        var b = bob.Client.GetChannel(a.Id);
        await WaitUntilAsync(() => b.Phase == ChannelPhase.Active);
        await a.PayAsync(5).WaitAsync(Limit);
        await b.PayAsync(3).WaitAsync(Limit);

        // A lost Confirm, then a reconnect (logged): the reestablish repairs it.
        link.Faults.DropNext(f => f.Payload.Span[1] == (byte)MessageType.Confirm);
        await a.PayAsync(7).WaitAsync(Limit);
        await alice.DisconnectAllAsync();
        await bob.DisconnectAllAsync();
        Party.Reconnect(link, alice, bob);
        await WaitUntilAsync(() => b.Latest!.State.Version == a.Latest!.State.Version);

        // Refused calls: their exceptions are searched too.
        await ExpectFailureAsync(() => a.PayAsync(1_000_000));
        await ExpectFailureAsync(() => alice.Client.OpenChannelAsync(EthAddress.Parse("0x000000000000000000000000000000000000dEaD"), 1, 1));
        ExpectFailure(() => alice.Client.GetChannel(ChannelId.FromHash32(Hash32.CreateRandom())));

        // Key-shaped input that is not a key: the message must not echo it.
        var near = Hex.Encode(_secrets[0]);
        ExpectFailure(() => PrivateKey.Parse(near[..^1] + "g"));
        ExpectFailure(() => PrivateKey.Parse(near + "00"));
        ExpectFailure(() => PrivateKey.FromBytes(_secrets[0].AsSpan(0, 31)));

        // A byzantine peer of Bob's sends forged evidence in a reestablish: Bob logs and drops it.
        using var mallory = NewKey();
        var p = new ChannelParams(mallory.Address, bob.Address, EthAddress.Zero, 3600UL, Hash32.CreateRandom(), 100, 100);
        var pair = InMemoryTransport.CreatePair(mallory.Address, bob.Address);
        bob.Serve(pair.Second);
        var mid = Eip712.ComputeChannelId(_chain.Domain, p);
        var forged = ChannelState.Opening(mid, p) with { Version = 99 };
        var forgedSig = mallory.Sign(Eip712.HashState(_chain.Domain, forged));
        await pair.First.SendAsync(MessageCodec.Encode(new OpenRequest(p, _chain.Domain)));
        await pair.First.SendAsync(MessageCodec.Encode(new Reestablish(mid, new SignedState(forged, forgedSig, forgedSig), null, null)));
        await DrainAsync(pair.First); // Bob hangs up on the forged evidence

        await a.CloseAsync().WaitAsync(Limit);

        // Every signature either side ever held.
        var signatures = new List<Signature> { forgedSig };
        foreach (var party in new[] { alice, bob })
        {
            await foreach (var s in party.Store.GetHistoryAsync(a.Id))
            {
                signatures.Add(s.Sig0);
                signatures.Add(s.Sig1);
            }

            signatures.Add((await party.Store.GetChannelAsync(a.Id))!.LastSigned!.Signature);
        }

        var output = _logs.Lines.Concat(_exceptions).ToList();
        Assert.True(_logs.Lines.Count >= 3, $"the scenario should log (dropped links, misbehaviour); got {_logs.Lines.Count} lines");
        Assert.Contains(_logs.Lines, l => l.Contains("dropping connection", StringComparison.Ordinal));
        foreach (var secret in _secrets)
        {
            foreach (var needle in SecretFragments(secret))
            {
                var hit = output.FirstOrDefault(l => l.Contains(needle, StringComparison.OrdinalIgnoreCase));
                Assert.True(hit is null, $"key material in output: {hit}");
            }
        }

        foreach (var signature in signatures.Distinct())
        {
            var hex = signature.ToString()[2..];
            foreach (var needle in new[] { hex, hex[..64], hex[64..128] })
            {
                var hit = output.FirstOrDefault(l => l.Contains(needle, StringComparison.OrdinalIgnoreCase));
                Assert.True(hit is null, $"whole signature (or its r or s) in output: {hit}");
            }
        }
    }

    /// <summary>Every 8-byte window of the secret, as hex and as base64, plus the whole base64.</summary>
    private static IEnumerable<string> SecretFragments(byte[] secret)
    {
        yield return Convert.ToBase64String(secret);
        for (var i = 0; i + 8 <= secret.Length; i++)
        {
            yield return Convert.ToHexString(secret, i, 8);
            yield return Convert.ToBase64String(secret, i, 8)[..8];
        }
    }

    private static async Task DrainAsync(InMemoryConnection connection)
    {
        using var cts = new CancellationTokenSource(Limit);
        while (await connection.ReceiveAsync(cts.Token) is not null)
        {
        }
    }
}
