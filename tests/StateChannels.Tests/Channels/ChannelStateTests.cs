namespace StateChannels.Tests.Channels;

public class ChannelStateTests
{
    private static readonly ChannelId Id = ChannelId.Parse("0x" + new string('a', 64));

    [Fact]
    public void Equality_SameValues_Equal()
    {
        var a = new ChannelState(Id, 5, 10UL, 20UL, false);
        var b = new ChannelState(Id, 5, 10UL, 20UL, false);
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, a with { IsFinal = true });
        Assert.NotEqual(a, a with { Version = 6 });
        Assert.NotEqual(a, a with { Balance0 = 11UL });
        Assert.NotEqual(a, a with { ChannelId = ChannelId.Zero });
    }

    [Fact]
    public void Opening_Params_VersionZeroWithFundings()
    {
        var p = new ChannelParams(
            EthAddress.Parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
            EthAddress.Parse("0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
            EthAddress.Zero,
            3600UL,
            Hash32.Zero,
            7UL,
            9UL);
        ChannelState s = ChannelState.Opening(Id, p);
        Assert.Equal(new ChannelState(Id, 0, 7UL, 9UL, false), s);
        Assert.Equal(new Amount(7), s.BalanceOf(0));
        Assert.Equal(new Amount(9), s.BalanceOf(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.BalanceOf(2));
    }
}
