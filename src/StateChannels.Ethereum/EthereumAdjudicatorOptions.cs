using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace StateChannels.Ethereum;

/// <summary>
/// Settings of an <see cref="EthereumAdjudicator"/>. A plain options class: the adjudicator copies
/// and validates the values once, at construction, so changing the object afterwards has no effect.
/// </summary>
public sealed class EthereumAdjudicatorOptions
{
    /// <summary>
    /// How many blocks must contain or follow a transaction before it counts as done, and how far
    /// behind the head views are read (1 = the head block itself). Default 1; on a public chain
    /// choose what your reorg tolerance needs (e.g. 3 to 12 on Ethereum L1). Valid range 1..1000.
    /// </summary>
    public int ConfirmationDepth { get; set; } = 1;

    /// <summary>How often the node is polled for a receipt and for new blocks. Default 1 second; valid range 1 ms..1 minute.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long to wait for a sent transaction to be mined and confirmed before giving up with
    /// <see cref="ErrorCode.Timeout"/> (the transaction may still be mined later). Default 10 minutes;
    /// must be positive.
    /// </summary>
    public TimeSpan ReceiptTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Time limit of each single JSON-RPC request. Default 30 seconds; must be positive.</summary>
    public TimeSpan RpcTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Percentage added to the node's gas estimate to form the gas limit (the estimate can fall short
    /// when state changes between estimation and inclusion). Default 25 (%); valid range 0..400.
    /// </summary>
    public int GasLimitMarginPercent { get; set; } = 25;

    /// <summary>The clock for receipt timeouts and poll delays. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where transactions are logged (hash, operation, block, gas; never keys). Default: no logging.</summary>
    public ILogger Logger { get; set; } = NullLogger.Instance;

    /// <summary>Checks every value and returns a private copy.</summary>
    internal EthereumAdjudicatorOptions ValidateAndCopy()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ConfirmationDepth, 1, nameof(ConfirmationDepth));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ConfirmationDepth, 1000, nameof(ConfirmationDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(PollInterval, TimeSpan.FromMilliseconds(1), nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PollInterval, TimeSpan.FromMinutes(1), nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ReceiptTimeout, TimeSpan.Zero, nameof(ReceiptTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RpcTimeout, TimeSpan.Zero, nameof(RpcTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(GasLimitMarginPercent, nameof(GasLimitMarginPercent));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(GasLimitMarginPercent, 400, nameof(GasLimitMarginPercent));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(Logger, nameof(Logger));
        return new EthereumAdjudicatorOptions
        {
            ConfirmationDepth = ConfirmationDepth,
            PollInterval = PollInterval,
            ReceiptTimeout = ReceiptTimeout,
            RpcTimeout = RpcTimeout,
            GasLimitMarginPercent = GasLimitMarginPercent,
            TimeProvider = TimeProvider,
            Logger = Logger,
        };
    }
}
