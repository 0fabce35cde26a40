namespace StateChannels.Tests.Channels;

public class Eip712DomainTests
{
    private static readonly EthAddress Adjudicator = EthAddress.Parse("0x5FbDB2315678afecb367f032d93F642f64180aa3");

    [Fact]
    public void Constructor_ZeroChainOrAdjudicator_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Eip712Domain(0, Adjudicator));
        Assert.Throws<ArgumentException>(() => new Eip712Domain(1, EthAddress.Zero));
    }

    [Fact]
    public void Separators_StateAndHandshake_Differ()
    {
        var domain = new Eip712Domain(31337, Adjudicator);
        Assert.NotEqual(domain.StateDomainSeparator, domain.HandshakeDomainSeparator);
        Assert.Equal(Eip712.ComputeDomainSeparator(Eip712.StateDomainName, 31337, Adjudicator), domain.StateDomainSeparator);
        Assert.Equal(Eip712.ComputeDomainSeparator(Eip712.HandshakeDomainName, 31337, Adjudicator), domain.HandshakeDomainSeparator);
    }

    [Fact]
    public void Separator_OtherChainOrContract_Differs()
    {
        var a = new Eip712Domain(1, Adjudicator);
        Assert.NotEqual(a.StateDomainSeparator, new Eip712Domain(31337, Adjudicator).StateDomainSeparator);
        Assert.NotEqual(a.StateDomainSeparator, new Eip712Domain(1, EthAddress.Parse("0x00000000000000000000000000000000deadbeef")).StateDomainSeparator);
    }

    [Fact]
    public void Equals_SameChainAndContract_Equal()
    {
        Assert.Equal(new Eip712Domain(1, Adjudicator), new Eip712Domain(1, Adjudicator));
        Assert.Equal(new Eip712Domain(1, Adjudicator).GetHashCode(), new Eip712Domain(1, Adjudicator).GetHashCode());
        Assert.NotEqual(new Eip712Domain(1, Adjudicator), new Eip712Domain(2, Adjudicator));
        Assert.Contains("0x5FbDB2315678afecb367f032d93F642f64180aa3", new Eip712Domain(1, Adjudicator).ToString(), StringComparison.Ordinal);
    }
}
