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

    /// <summary>
    /// The most paid per gas (EIP-1559 max fee), however urgent: the initial bid and every fee bump stay
    /// at or below it. Default 1,000 gwei; must be positive.
    /// </summary>
    public Amount MaxFeePerGas { get; set; } = Amount.FromWei(1_000_000_000_000);

    /// <summary>
    /// How long a sent transaction may wait unmined before it is replaced by one with the same nonce and
    /// fees 12.5% higher (geth and anvil require at least 10%). Near a deadline (a refutation must land
    /// before the challenge deadline) replacements come faster and larger: see the remarks of
    /// <see cref="EthereumAdjudicator"/>. Default 1 minute; valid range 1 ms..1 hour.
    /// </summary>
    public TimeSpan FeeBumpInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How many times an idempotent JSON-RPC request (a read, or the broadcast of an already signed
    /// transaction) is retried after a transport failure or time-out, with exponential back-off and
    /// jitter. Default 4; valid range 0..20.
    /// </summary>
    public int RpcRetryCount { get; set; } = 4;

    /// <summary>The first retry's median delay (doubling with each retry, jittered, at most 10 seconds). Default 250 ms; valid range 1 ms..1 minute.</summary>
    public TimeSpan RpcRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// How long the RPC circuit breaker stays open (failing calls at once) after at least half of
    /// at least 10 requests within 30 seconds failed in transport. Default 5 seconds; valid range 500 ms..10 minutes.
    /// </summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether an ERC-20 deposit sets the adjudicator's allowance with an EIP-2612 <c>permit</c> (one
    /// transaction, signed with the transaction key) when the token offers one (it answers
    /// <c>DOMAIN_SEPARATOR()</c> and <c>nonces(owner)</c>), rather than with <c>approve</c> (one or two
    /// transactions). A permit that reverts falls back to <c>approve</c>. Default true; false always approves.
    /// <para>Gas: a permit (57,013–74,113 on OpenZeppelin's ERC20Permit) costs more than one
    /// <c>approve</c> from a zero allowance (45,917), and saves a transaction only when a non-zero
    /// allowance would first have to be reset (<c>approve(0)</c>). Set false where gas matters more
    /// than an allowance that is exact and expires.</para>
    /// </summary>
    public bool UsePermit { get; set; } = true;

    /// <summary>
    /// How long a signed permit stays valid: its deadline is the latest block's timestamp plus this
    /// (chain time, whole seconds). Default 1 hour; valid range 1 minute..1 day.
    /// </summary>
    public TimeSpan PermitValidity { get; set; } = TimeSpan.FromHours(1);

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
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxFeePerGas, Amount.Zero, nameof(MaxFeePerGas));
        ArgumentOutOfRangeException.ThrowIfLessThan(FeeBumpInterval, TimeSpan.FromMilliseconds(1), nameof(FeeBumpInterval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FeeBumpInterval, TimeSpan.FromHours(1), nameof(FeeBumpInterval));
        ArgumentOutOfRangeException.ThrowIfNegative(RpcRetryCount, nameof(RpcRetryCount));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RpcRetryCount, 20, nameof(RpcRetryCount));
        ArgumentOutOfRangeException.ThrowIfLessThan(RpcRetryDelay, TimeSpan.FromMilliseconds(1), nameof(RpcRetryDelay));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RpcRetryDelay, TimeSpan.FromMinutes(1), nameof(RpcRetryDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(CircuitBreakDuration, TimeSpan.FromMilliseconds(500), nameof(CircuitBreakDuration));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CircuitBreakDuration, TimeSpan.FromMinutes(10), nameof(CircuitBreakDuration));
        ArgumentOutOfRangeException.ThrowIfLessThan(PermitValidity, TimeSpan.FromMinutes(1), nameof(PermitValidity));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PermitValidity, TimeSpan.FromDays(1), nameof(PermitValidity));
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(Logger, nameof(Logger));
        return new EthereumAdjudicatorOptions
        {
            ConfirmationDepth = ConfirmationDepth,
            PollInterval = PollInterval,
            ReceiptTimeout = ReceiptTimeout,
            RpcTimeout = RpcTimeout,
            GasLimitMarginPercent = GasLimitMarginPercent,
            MaxFeePerGas = MaxFeePerGas,
            FeeBumpInterval = FeeBumpInterval,
            RpcRetryCount = RpcRetryCount,
            RpcRetryDelay = RpcRetryDelay,
            CircuitBreakDuration = CircuitBreakDuration,
            UsePermit = UsePermit,
            PermitValidity = PermitValidity,
            TimeProvider = TimeProvider,
            Logger = Logger,
        };
    }
}
