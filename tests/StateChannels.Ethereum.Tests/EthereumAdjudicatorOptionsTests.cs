namespace StateChannels.Ethereum.Tests;

/// <summary>Validation and copying of the permit options of <see cref="EthereumAdjudicatorOptions"/>.</summary>
public sealed class EthereumAdjudicatorOptionsTests
{
    [Fact]
    public void ValidateAndCopy_Defaults_UsePermitForAnHour()
    {
        var copy = new EthereumAdjudicatorOptions().ValidateAndCopy();

        Assert.True(copy.UsePermit);
        Assert.Equal(TimeSpan.FromHours(1), copy.PermitValidity);
    }

    [Fact]
    public void ValidateAndCopy_PermitSettings_AreCopied()
    {
        var options = new EthereumAdjudicatorOptions { UsePermit = false, PermitValidity = TimeSpan.FromMinutes(5) };

        var copy = options.ValidateAndCopy();
        options.UsePermit = true;

        Assert.False(copy.UsePermit);
        Assert.Equal(TimeSpan.FromMinutes(5), copy.PermitValidity);
    }

    [Theory]
    [InlineData(59)]
    [InlineData(86_401)]
    public void ValidateAndCopy_PermitValidityOutOfRange_ThrowsArgumentOutOfRange(int seconds)
    {
        var options = new EthereumAdjudicatorOptions { PermitValidity = TimeSpan.FromSeconds(seconds) };

        var e = Assert.Throws<ArgumentOutOfRangeException>(options.ValidateAndCopy);
        Assert.Equal(nameof(EthereumAdjudicatorOptions.PermitValidity), e.ParamName);
    }
}
