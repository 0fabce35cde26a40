using System.Numerics;
using Nethereum.ABI.EIP712;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Signer;
using Nethereum.Signer.EIP712;
using Nethereum.Util;
using StateChannels.Tests.Support;

namespace StateChannels.Tests.Crypto;

/// <summary>Cross-checks our EIP-712 hashing against Nethereum's independent encoder on random inputs.</summary>
public class Eip712CrossCheckTests
{
    [Struct("State")]
    public class StateMessage
    {
        [Parameter("bytes32", "channelId", 1)]
        public byte[] ChannelId { get; set; } = [];

        [Parameter("uint64", "version", 2)]
        public ulong Version { get; set; }

        [Parameter("uint256", "balance0", 3)]
        public BigInteger Balance0 { get; set; }

        [Parameter("uint256", "balance1", 4)]
        public BigInteger Balance1 { get; set; }

        [Parameter("bool", "isFinal", 5)]
        public bool IsFinal { get; set; }
    }

    [Struct("Handshake")]
    public class HandshakeMessage
    {
        [Parameter("bytes32", "challenge", 1)]
        public byte[] Challenge { get; set; } = [];

        [Parameter("address", "peer", 2)]
        public string Peer { get; set; } = "";
    }

    private static TypedData<Domain> TypedData<TMessage>(string name, Eip712Domain domain, string primaryType) => new()
    {
        Domain = new Domain
        {
            Name = name,
            Version = Eip712.DomainVersion,
            ChainId = domain.ChainId,
            VerifyingContract = domain.Adjudicator.ToString(),
        },
        Types = MemberDescriptionFactory.GetTypesMemberDescription(typeof(Domain), typeof(TMessage)),
        PrimaryType = primaryType,
    };

    private static Eip712Domain RandomDomain(Random random)
    {
        ulong chainId = random.Next(3) switch { 0 => 1, 1 => 31337, _ => random.NextUInt64() | 1 };
        EthAddress adjudicator = random.NextAddress();
        return new Eip712Domain(chainId, adjudicator.IsZero ? EthAddress.Parse("0x0000000000000000000000000000000000000001") : adjudicator);
    }

    [Fact]
    public void TypeHashes_EqualNethereumEncodedTypes()
    {
        Assert.Equal(Keccak.Hash(System.Text.Encoding.UTF8.GetBytes(Eip712TypedDataEncoder.Current.GetEncodedType("State", typeof(StateMessage)))), Eip712.StateTypeHash);
        Assert.Equal(Keccak.Hash(System.Text.Encoding.UTF8.GetBytes(Eip712TypedDataEncoder.Current.GetEncodedType("Handshake", typeof(HandshakeMessage)))), Eip712.HandshakeTypeHash);
    }

    [Fact]
    public void HashState_RandomStates_MatchesNethereum()
    {
        Seeded.Run(100, (random, _) =>
        {
            Eip712Domain domain = RandomDomain(random);
            var state = new ChannelState(ChannelId.FromHash32(random.NextHash()), random.NextVersion(), random.NextAmount(), random.NextAmount(), random.Next(2) == 0);
            var message = new StateMessage
            {
                ChannelId = state.ChannelId.ToArray(),
                Version = state.Version,
                Balance0 = state.Balance0.ToBigInteger(),
                Balance1 = state.Balance1.ToBigInteger(),
                IsFinal = state.IsFinal,
            };
            TypedData<Domain> typedData = TypedData<StateMessage>(Eip712.StateDomainName, domain, "State");
            TypedDataHashResult hashes = Eip712TypedDataEncoder.Current.CalculateTypedDataHashes(message, typedData);

            Assert.Equal(Hex.Encode(hashes.DomainHash), domain.StateDomainSeparator.ToString());
            Assert.Equal(Hex.Encode(hashes.MessageHash), Eip712.HashStateStruct(state).ToString());
            Assert.Equal(Hex.Encode(hashes.TypedDataHash), Eip712.HashState(domain, state).ToString());
            Assert.Equal(Hex.Encode(Sha3Keccack.Current.CalculateHash(Eip712TypedDataEncoder.Current.EncodeTypedData(message, typedData))), Eip712.HashState(domain, state).ToString());
        });
    }

    [Fact]
    public void Sign_RandomStates_NethereumRecoversOurSignerAndWeRecoverTheirs()
    {
        Seeded.Run(20, (random, _) =>
        {
            Eip712Domain domain = RandomDomain(random);
            var state = new ChannelState(ChannelId.FromHash32(random.NextHash()), random.NextVersion(), random.NextAmount(121), random.NextAmount(121), random.Next(2) == 0);
            var message = new StateMessage
            {
                ChannelId = state.ChannelId.ToArray(),
                Version = state.Version,
                Balance0 = state.Balance0.ToBigInteger(),
                Balance1 = state.Balance1.ToBigInteger(),
                IsFinal = state.IsFinal,
            };
            TypedData<Domain> typedData = TypedData<StateMessage>(Eip712.StateDomainName, domain, "State");
            byte[] secret = random.Bytes(32);
            using var key = PrivateKey.FromBytes(secret);

            Signature ours = key.Sign(Eip712.HashState(domain, state));
            string recovered = Eip712TypedDataSigner.Current.RecoverFromSignatureV4(message, typedData, ours.ToString());
            Assert.Equal(key.Address, EthAddress.Parse(recovered));

            string theirs = Eip712TypedDataSigner.Current.SignTypedDataV4(message, typedData, new EthECKey(secret, true));
            Assert.Equal(theirs, ours.ToString());
            Assert.Equal(key.Address, Ecdsa.Recover(Eip712.HashState(domain, state), Signature.Parse(theirs)));
        });
    }

    [Fact]
    public void HashHandshake_RandomInputs_MatchesNethereum()
    {
        Seeded.Run(50, (random, _) =>
        {
            Eip712Domain domain = RandomDomain(random);
            Hash32 challenge = random.NextHash();
            EthAddress peer = random.NextAddress();
            var message = new HandshakeMessage { Challenge = challenge.ToArray(), Peer = peer.ToString() };
            TypedData<Domain> typedData = TypedData<HandshakeMessage>(Eip712.HandshakeDomainName, domain, "Handshake");
            TypedDataHashResult hashes = Eip712TypedDataEncoder.Current.CalculateTypedDataHashes(message, typedData);

            Assert.Equal(Hex.Encode(hashes.DomainHash), domain.HandshakeDomainSeparator.ToString());
            Assert.Equal(Hex.Encode(hashes.TypedDataHash), Eip712.HashHandshake(domain, challenge, peer).ToString());
        });
    }

    [Fact]
    public void ComputeChannelId_RandomParams_MatchesNethereumAbiEncode()
    {
        var abi = new Nethereum.ABI.ABIEncode();
        Seeded.Run(100, (random, _) =>
        {
            Eip712Domain domain = RandomDomain(random);
            var p = new ChannelParams(random.NextAddress(), random.NextAddress(), random.Next(2) == 0 ? EthAddress.Zero : random.NextAddress(), random.NextUInt64(), random.NextHash(), random.NextAmount(), random.NextAmount());
            byte[] encoded = abi.GetABIEncoded(
                new Nethereum.ABI.ABIValue("uint256", new BigInteger(domain.ChainId)),
                new Nethereum.ABI.ABIValue("address", domain.Adjudicator.ToString()),
                new Nethereum.ABI.ABIValue("address", p.Participant0.ToString()),
                new Nethereum.ABI.ABIValue("address", p.Participant1.ToString()),
                new Nethereum.ABI.ABIValue("address", p.Asset.ToString()),
                new Nethereum.ABI.ABIValue("uint64", p.ChallengeDurationSeconds),
                new Nethereum.ABI.ABIValue("uint256", new BigInteger(p.Nonce.ToArray(), isUnsigned: true, isBigEndian: true)),
                new Nethereum.ABI.ABIValue("uint256", p.Funding0.ToBigInteger()),
                new Nethereum.ABI.ABIValue("uint256", p.Funding1.ToBigInteger()));
            Assert.Equal(9 * 32, encoded.Length);
            Assert.Equal(Hex.Encode(Sha3Keccack.Current.CalculateHash(encoded)), Eip712.ComputeChannelId(domain, p).ToString());
        });
    }
}
