using Microsoft.Extensions.Logging;

namespace StateChannels.Ethereum.Internal;

/// <summary>Log messages of the Ethereum adapter (event ids 1000..1099). Never keys, never signatures.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug,
        Message = "Sent {Operation} as transaction {TransactionHash} (nonce {Nonce}, gas limit {GasLimit})")]
    public static partial void TransactionSent(ILogger logger, string operation, string transactionHash, ulong nonce, ulong gasLimit);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "{Operation} confirmed: transaction {TransactionHash} in block {BlockNumber}, gas used {GasUsed}")]
    public static partial void TransactionConfirmed(ILogger logger, string operation, string transactionHash, ulong blockNumber, ulong gasUsed);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information,
        Message = "Adjudicator deployed at {Adjudicator} on chain {ChainId}")]
    public static partial void AdjudicatorDeployed(ILogger logger, string adjudicator, ulong chainId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information,
        Message = "{Operation}: resuming journaled transaction {TransactionHash} (nonce {Nonce}, status {Status}) instead of sending a new one")]
    public static partial void Resuming(ILogger logger, string operation, string transactionHash, ulong nonce, string status);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information,
        Message = "{Operation}: replaced transaction {ReplacedHash} by {TransactionHash} at nonce {Nonce} (max fee {MaxFeePerGas}, priority fee {MaxPriorityFeePerGas} wei per gas)")]
    public static partial void Replaced(
        ILogger logger, string operation, string replacedHash, string transactionHash, ulong nonce, string maxFeePerGas, string maxPriorityFeePerGas);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning,
        Message = "{Operation}: nonce {Nonce} is used by another transaction of this account; signing at nonce {NewNonce}")]
    public static partial void NonceTaken(ILogger logger, string operation, ulong nonce, ulong newNonce);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning,
        Message = "{Operation}: nonce {Nonce} was used by another wallet of this account; re-signed as {TransactionHash} at nonce {NewNonce}")]
    public static partial void Resigned(ILogger logger, string operation, ulong nonce, string transactionHash, ulong newNonce);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning,
        Message = "{Operation}: no fee bump for transaction {TransactionHash}: the cap of {MaxFeePerGas} wei per gas leaves no room for a replacement")]
    public static partial void BumpAtCap(ILogger logger, string operation, string transactionHash, ulong maxFeePerGas);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information,
        Message = "{Operation}: re-broadcast transaction {TransactionHash} (nonce {Nonce}), which the node did not know")]
    public static partial void Rebroadcast(ILogger logger, string operation, string transactionHash, ulong nonce);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning,
        Message = "{Operation}: RPC failure while waiting for transaction {TransactionHash}; polling goes on: {Reason}")]
    public static partial void WaitRpcFailure(ILogger logger, string operation, string transactionHash, string reason);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information,
        Message = "{Operation}: the node refused replacement {TransactionHash}: {Reason}")]
    public static partial void ReplacementRefused(ILogger logger, string operation, string transactionHash, string reason);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning,
        Message = "{Operation}: no answer to the broadcast of transaction {TransactionHash}; it is journaled and will be re-broadcast: {Reason}")]
    public static partial void BroadcastUnknown(ILogger logger, string operation, string transactionHash, string reason);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Warning,
        Message = "ERC20.permit of token {Token} was refused; approving instead from now on: {Reason}")]
    public static partial void PermitRefused(ILogger logger, string token, string reason);
}
