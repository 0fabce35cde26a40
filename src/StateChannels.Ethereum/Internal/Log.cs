using Microsoft.Extensions.Logging;

namespace StateChannels.Ethereum.Internal;

/// <summary>Log messages of the Ethereum adapter (event ids 1000..1099). Never keys, never signatures.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Debug,
        Message = "Sent {Operation} as transaction {TransactionHash} (nonce {Nonce}, gas limit {GasLimit})")]
    public static partial void TransactionSent(ILogger logger, string operation, string transactionHash, ulong nonce, ulong gasLimit);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "{Operation} confirmed: transaction {TransactionHash} in block {BlockNumber}, gas used {GasUsed}")]
    public static partial void TransactionConfirmed(ILogger logger, string operation, string transactionHash, ulong blockNumber, ulong gasUsed);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information,
        Message = "Adjudicator deployed at {Adjudicator} on chain {ChainId}")]
    public static partial void AdjudicatorDeployed(ILogger logger, string adjudicator, ulong chainId);
}
