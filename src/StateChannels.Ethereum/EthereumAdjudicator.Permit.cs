using System.Collections.Concurrent;
using System.Numerics;
using Nethereum.Contracts;
using Nethereum.RPC.Eth.DTOs;
using StateChannels.Ethereum.Internal;

namespace StateChannels.Ethereum;

/// <summary>ERC-20 deposits by EIP-2612 <c>permit</c> where the token offers it (issue 5).</summary>
public sealed partial class EthereumAdjudicator
{
    // Per token: its EIP-2612 domain separator, or null when it has no (working) permit. Filled by the
    // first probe; a token whose permit reverted is remembered as null, so later deposits approve at once.
    private readonly ConcurrentDictionary<EthAddress, Hash32?> _permitDomains = new();

    /// <summary>What <see cref="TryPermitAsync"/> did.</summary>
    private enum PermitOutcome
    {
        /// <summary>The token has no permit (or is known to refuse it): nothing was sent.</summary>
        Unsupported,

        /// <summary>The permit is mined: the allowance is set.</summary>
        Permitted,

        /// <summary>The permit reverted (at estimation or on chain).</summary>
        Refused,
    }

    /// <summary>
    /// Sets the adjudicator's allowance to <paramref name="amount"/> with a signed EIP-2612 permit, sent
    /// through the transaction manager. Unless <see cref="PermitOutcome.Permitted"/>, the caller approves instead.
    /// </summary>
    /// <remarks>
    /// Idempotent across crashes: the key <c>permit/&lt;token&gt;/&lt;spender&gt;/&lt;nonce&gt;/&lt;amount&gt;</c>
    /// names the owner's permit nonce, which only a mined permit advances. A repeated call before the
    /// permit is mined finds the journaled transaction (with its signature and deadline) and resumes it;
    /// after it is mined the allowance suffices and no permit is asked for.
    /// </remarks>
    private async Task<PermitOutcome> TryPermitAsync(EthAddress token, BigInteger amount, CancellationToken cancellationToken)
    {
        var separator = await PermitDomainAsync(token, cancellationToken).ConfigureAwait(false);
        if (separator is not { } domainSeparator)
        {
            return PermitOutcome.Unsupported;
        }

        var owner = Account;
        var nonce = await ReadWordAsync(
            token, "ERC20Permit.nonces", new Erc2612.NoncesFunction { Owner = owner.ToString() }, cancellationToken).ConfigureAwait(false);
        if (nonce is not { } permitNonce)
        {
            _permitDomains[token] = null;
            return PermitOutcome.Unsupported;
        }

        // On-chain deadlines come from block time, never the wall clock.
        var deadline = await LatestBlockTimestampAsync(cancellationToken).ConfigureAwait(false) + (long)_options.PermitValidity.TotalSeconds;
        var digest = Erc2612.Digest(domainSeparator, owner, Domain.Adjudicator, amount, permitNonce, deadline);
        var signature = Transactions.SignDigest(digest);
        var message = new Erc2612.PermitFunction
        {
            Owner = owner.ToString(),
            Spender = _address,
            Value = amount,
            Deadline = deadline,
            V = signature.V,
            R = signature.R.ToArray(),
            S = signature.S.ToArray(),
        };
        try
        {
            var key = $"permit/{token}/{_address}/{permitNonce}/{amount}";
            await Transactions.SendAsync(
                new TxRequest("ERC20.permit", key, OneShot: false, token, message.GetCallData(), BigInteger.Zero), cancellationToken)
                .ConfigureAwait(false);
            return PermitOutcome.Permitted;
        }
        catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
        {
            // The token refused the permit (at estimation or on chain): a non-standard permit, an expired
            // deadline of a resumed record, or a nonce used by another permit. Approve instead, from now on.
            Internal.Log.PermitRefused(_options.Logger, token.ToString(), e.Message);
            _permitDomains[token] = null;
            return PermitOutcome.Refused;
        }
    }

    /// <summary>The token's EIP-2612 domain separator, or null when it has no permit (probed once per token).</summary>
    private async Task<Hash32?> PermitDomainAsync(EthAddress token, CancellationToken cancellationToken)
    {
        if (_permitDomains.TryGetValue(token, out var cached))
        {
            return cached;
        }

        Hash32? separator = null;
        var word = await ReadWordAsync(token, "ERC20Permit.DOMAIN_SEPARATOR", new Erc2612.DomainSeparatorFunction(), cancellationToken)
            .ConfigureAwait(false);
        if (word is { } value && !value.IsZero
            && await ReadWordAsync(token, "ERC20Permit.nonces", new Erc2612.NoncesFunction { Owner = Account.ToString() }, cancellationToken)
                .ConfigureAwait(false) is not null)
        {
            var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
            var padded = new byte[Hash32.Length];
            bytes.CopyTo(padded, Hash32.Length - bytes.Length);
            separator = Hash32.FromBytes(padded);
        }

        return _permitDomains.GetOrAdd(token, separator);
    }

    /// <summary>
    /// eth_call of a one-word view of <paramref name="token"/> at the latest block: the word, or null when
    /// the call reverts or answers anything but exactly 32 bytes (no such function). Transport failures throw.
    /// </summary>
    private async Task<BigInteger?> ReadWordAsync<TFunction>(EthAddress token, string what, TFunction function, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new()
    {
        var input = new CallInput { To = token.ToString(), Data = AbiConvert.ToHex(function.GetCallData()) };
        string? output;
        try
        {
            output = await Transactions.CallAsync(
                what, () => Transactions.Web3.Eth.Transactions.Call.SendRequestAsync(input, BlockParameter.CreateLatest()), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (StateChannelException e) when (e.Code == ErrorCode.TransactionFailed)
        {
            return null;
        }

        if (output is not { Length: 2 + 64 } || !output.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return BigInteger.Parse("0" + output[2..], System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The latest block's timestamp (Unix seconds).</summary>
    private async Task<long> LatestBlockTimestampAsync(CancellationToken cancellationToken)
    {
        var block = await Transactions.CallAsync(
            "eth_getBlockByNumber",
            async () =>
            {
                var b = await Transactions.Web3.Eth.Blocks.GetBlockWithTransactionsHashesByNumber.SendRequestAsync(BlockParameter.CreateLatest())
                    .ConfigureAwait(false);
                return b is null ? null : RpcGuard.Parsed(b, b.Timestamp);
            },
            cancellationToken).ConfigureAwait(false);
        if (block?.Timestamp?.Value is not { Sign: >= 0 } timestamp || timestamp > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "The node gave no valid latest block timestamp.");
        }

        return (long)timestamp;
    }
}
