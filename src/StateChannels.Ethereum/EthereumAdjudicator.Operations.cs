using System.Numerics;
using Nethereum.Contracts;
using Nethereum.Contracts.Standards.ERC20.ContractDefinition;
using Nethereum.RPC.Eth.DTOs;
using StateChannels.Ethereum.Internal;
using AdjudicatorBindings = StateChannels.Ethereum.Bindings.Adjudicator;

namespace StateChannels.Ethereum;

/// <summary>The <see cref="IAdjudicator"/> operations: one contract function each.</summary>
public sealed partial class EthereumAdjudicator
{
    /// <inheritdoc />
    /// <remarks>
    /// Sent from <see cref="Account"/>, which pays the amount. ETH goes as the transaction's value.
    /// For an ERC-20 token whose allowance for the adjudicator is below <paramref name="amount"/>, the
    /// account first sets it: by an EIP-2612 <c>permit</c> signed with the transaction key when the token
    /// offers one and <see cref="EthereumAdjudicatorOptions.UsePermit"/> is set (one transaction), else
    /// (or when the permit reverts) by <c>approve</c>, resetting a non-zero allowance to zero first as
    /// some tokens require; and waits for it. The contract tops participant <paramref name="index"/> up to
    /// <paramref name="expectedHeld"/> + <paramref name="amount"/>: a deposit that anyone else made first
    /// (a front-runner's 1 wei) only reduces what this one credits, the ETH not credited is refunded to
    /// <see cref="Account"/> in the same transaction (a token deposit pulls only what is missing), and a
    /// repeated call after a confirmed deposit credits nothing instead of depositing twice.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="channel"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not 0 or 1.</exception>
    /// <exception cref="StateChannelException">
    /// Invalid params (<see cref="ErrorCode.InvalidParams"/>), a revert (<see cref="ErrorCode.TransactionFailed"/>),
    /// a node failure (<see cref="ErrorCode.ChainRpcFailure"/>) or no receipt in time (<see cref="ErrorCode.Timeout"/>).
    /// </exception>
    public async ValueTask DepositAsync(
        ChannelParams channel, int index, Amount expectedHeld, Amount amount, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        if (index is not (0 or 1))
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, "A participant index is 0 or 1.");
        }

        channel.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        if (!channel.IsEth)
        {
            await EnsureAllowanceAsync(channel.Asset, amount.ToBigInteger(), cancellationToken).ConfigureAwait(false);
        }

        var message = new AdjudicatorBindings.DepositFunction
        {
            P = AbiConvert.ToAbi(channel),
            Idx = index,
            ExpectedHeld = expectedHeld.ToBigInteger(),
            Amount = amount.ToBigInteger(),
        };
        var id = Eip712.ComputeChannelId(Domain, channel);
        await SendAsync(
            "Adjudicator.deposit", $"deposit/{id}/{index}/{expectedHeld}/{amount}", oneShot: true, message,
            channel.IsEth ? amount.ToBigInteger() : BigInteger.Zero, deadline: null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Read at the block <see cref="EthereumAdjudicatorOptions.ConfirmationDepth"/> deep. After
    /// conclusion the contract keeps only the concluded flag, so holdings read as zero then.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="channel"/> is null.</exception>
    /// <exception cref="StateChannelException">The node failed or answered out-of-range values (<see cref="ErrorCode.ChainRpcFailure"/>).</exception>
    public async ValueTask<OnChainChannel> GetChannelAsync(ChannelParams channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var id = Eip712.ComputeChannelId(Domain, channel);
        var block = await ConfirmedBlockAsync(cancellationToken).ConfigureAwait(false);
        var view = await QueryDtoAsync<AdjudicatorBindings.GetChannelFunction, AdjudicatorBindings.GetChannelOutputDTO>(
            "Adjudicator.getChannel", new() { Id = id.ToArray() }, block, cancellationToken).ConfigureAwait(false);
        if (view is null)
        {
            // An empty answer: no contract code at the confirmed block (read before the deployment is
            // deep enough, or a node that lost state). Never guess "not funded" or "not concluded".
            throw new StateChannelException(
                ErrorCode.ChainRpcFailure, $"Adjudicator.getChannel returned no data at block {block.BlockNumber.Value}: no adjudicator code there.");
        }

        if (view.Version < 0 || view.Version > ulong.MaxValue || view.Deadline < 0 || view.Deadline > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
        {
            throw new StateChannelException(ErrorCode.ChainRpcFailure, "Adjudicator.getChannel returned an out-of-range version or deadline.");
        }

        return new OnChainChannel(
            AbiConvert.ToAmount(view.Held0, "held0"),
            AbiConvert.ToAmount(view.Held1, "held1"),
            view.Registered ? (ulong)view.Version : null,
            view.Registered ? DateTimeOffset.FromUnixTimeSeconds((long)view.Deadline) : null,
            view.Concluded);
    }

    /// <inheritdoc />
    /// <remarks>Anyone may submit it; sent from <see cref="Account"/>, which pays only the gas.</remarks>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="StateChannelException">
    /// Invalid params (<see cref="ErrorCode.InvalidParams"/>), a revert such as <c>NotFinal</c> or
    /// <c>InvalidSignature</c> (<see cref="ErrorCode.TransactionFailed"/>), a node failure
    /// (<see cref="ErrorCode.ChainRpcFailure"/>) or no receipt in time (<see cref="ErrorCode.Timeout"/>).
    /// </exception>
    public async ValueTask CloseAsync(ChannelParams channel, SignedState finalState, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(finalState);
        channel.Validate();
        var message = new AdjudicatorBindings.CloseFunction
        {
            P = AbiConvert.ToAbi(channel),
            S = AbiConvert.ToAbi(finalState.State),
            Sig0 = finalState.Sig0.ToArray(),
            Sig1 = finalState.Sig1.ToArray(),
        };
        await SendAsync(
            "Adjudicator.close", $"close/{finalState.State.ChannelId}/{finalState.State.Version}", oneShot: true, message, BigInteger.Zero,
            deadline: null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The first registration starts the challenge period; a higher version refutes (the deadline
    /// stays). A lower version reverts with <c>StaleVersion</c>, a higher one after the deadline with
    /// <c>ChallengeExpired</c>. A final state concludes at once, like <see cref="CloseAsync"/>.
    /// </remarks>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="StateChannelException">
    /// Invalid params (<see cref="ErrorCode.InvalidParams"/>), a revert (<see cref="ErrorCode.TransactionFailed"/>),
    /// a node failure (<see cref="ErrorCode.ChainRpcFailure"/>) or no receipt in time (<see cref="ErrorCode.Timeout"/>).
    /// </exception>
    public async ValueTask RegisterAsync(ChannelParams channel, SignedState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(state);
        channel.Validate();
        var message = new AdjudicatorBindings.RegisterFunction
        {
            P = AbiConvert.ToAbi(channel),
            S = AbiConvert.ToAbi(state.State),
            Sig0 = state.Sig0.ToArray(),
            Sig1 = state.Sig1.ToArray(),
        };

        // A refutation must be mined before the challenge deadline: the fee policy speeds up as it nears.
        var deadline = (await GetChannelAsync(channel, cancellationToken).ConfigureAwait(false)).Deadline;
        await SendAsync(
            "Adjudicator.register", $"register/{state.State.ChannelId}/{state.State.Version}", oneShot: true, message, BigInteger.Zero,
            deadline, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The deadline is judged by the timestamp of the block that includes the transaction; before
    /// it the call reverts with <c>ChallengeNotExpired</c>. Anyone may call it.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="channel"/> is null.</exception>
    /// <exception cref="StateChannelException">
    /// Invalid params (<see cref="ErrorCode.InvalidParams"/>), a revert (<see cref="ErrorCode.TransactionFailed"/>),
    /// a node failure (<see cref="ErrorCode.ChainRpcFailure"/>) or no receipt in time (<see cref="ErrorCode.Timeout"/>).
    /// </exception>
    public async ValueTask ConcludeAsync(ChannelParams channel, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        channel.Validate();
        var message = new AdjudicatorBindings.ConcludeFunction { P = AbiConvert.ToAbi(channel) };
        await SendAsync(
            "Adjudicator.conclude", $"conclude/{Eip712.ComputeChannelId(Domain, channel)}", oneShot: true, message, BigInteger.Zero,
            deadline: null, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>Withdraws <see cref="Account"/>'s credit to itself; reverts with <c>NothingToWithdraw</c> when there is none (see <see cref="GetCreditAsync"/>).</remarks>
    /// <exception cref="StateChannelException">
    /// A revert (<see cref="ErrorCode.TransactionFailed"/>), a node failure (<see cref="ErrorCode.ChainRpcFailure"/>)
    /// or no receipt in time (<see cref="ErrorCode.Timeout"/>).
    /// </exception>
    public async ValueTask WithdrawAsync(EthAddress asset, CancellationToken cancellationToken = default)
    {
        var message = new AdjudicatorBindings.WithdrawFunction { Asset = asset.ToString() };
        await SendAsync(
            "Adjudicator.withdraw", $"withdraw/{Domain.Adjudicator}/{asset}", oneShot: false, message, BigInteger.Zero, deadline: null, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// What <paramref name="account"/> can withdraw of <paramref name="asset"/>: payouts that could not
    /// be pushed to it. Read at the confirmation depth.
    /// </summary>
    /// <param name="account">The account (a participant address).</param>
    /// <param name="asset"><see cref="EthAddress.Zero"/> for ETH, otherwise the token.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The credit; zero when none.</returns>
    /// <exception cref="StateChannelException">The node failed (<see cref="ErrorCode.ChainRpcFailure"/>).</exception>
    public async ValueTask<Amount> GetCreditAsync(EthAddress account, EthAddress asset, CancellationToken cancellationToken = default)
    {
        var block = await ConfirmedBlockAsync(cancellationToken).ConfigureAwait(false);
        var credit = await QueryAsync<AdjudicatorBindings.CreditsFunction, BigInteger>(
            "Adjudicator.credits", new() { Account = account.ToString(), Asset = asset.ToString() }, block, cancellationToken)
            .ConfigureAwait(false);
        return AbiConvert.ToAmount(credit, "credit");
    }

    /// <summary>Sends a call of the adjudicator through the transaction manager under an idempotency key (see the class remarks).</summary>
    private async Task<TransactionReceipt> SendAsync<TFunction>(
        string operation, string key, bool oneShot, TFunction message, BigInteger value, DateTimeOffset? deadline, CancellationToken cancellationToken)
        where TFunction : FunctionMessage, new() =>
        await Transactions.SendAsync(
            new TxRequest(operation, key, oneShot, Domain.Adjudicator, message.GetCallData(), value, deadline), cancellationToken).ConfigureAwait(false);

    /// <summary>Makes sure the adjudicator may pull <paramref name="amount"/> of <paramref name="token"/> from <see cref="Account"/>.</summary>
    private async Task EnsureAllowanceAsync(EthAddress token, BigInteger amount, CancellationToken cancellationToken)
    {
        var allowance = await ReadAllowanceAsync(token, cancellationToken).ConfigureAwait(false);
        if (allowance >= amount)
        {
            return;
        }

        if (_options.UsePermit)
        {
            switch (await TryPermitAsync(token, amount, cancellationToken).ConfigureAwait(false))
            {
                case PermitOutcome.Permitted:
                    return;
                case PermitOutcome.Refused:
                    // Our signed permit may have been submitted by someone else first (front-run from the
                    // mempool): ours then reverts, yet the allowance is set.
                    allowance = await ReadAllowanceAsync(token, cancellationToken).ConfigureAwait(false);
                    if (allowance >= amount)
                    {
                        return;
                    }

                    break;
            }
        }

        if (!allowance.IsZero)
        {
            await Transactions.SendAsync(
                new TxRequest(
                    "ERC20.approve(0)", $"approve/{token}/{_address}/0", OneShot: false, token,
                    new ApproveFunction { Spender = _address, Value = BigInteger.Zero }.GetCallData(), BigInteger.Zero),
                cancellationToken).ConfigureAwait(false);
        }

        await Transactions.SendAsync(
            new TxRequest(
                "ERC20.approve", $"approve/{token}/{_address}/{amount}", OneShot: false, token,
                new ApproveFunction { Spender = _address, Value = amount }.GetCallData(), BigInteger.Zero),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The adjudicator's allowance from <see cref="Account"/> in <paramref name="token"/>, at the latest block.</summary>
    private Task<BigInteger> ReadAllowanceAsync(EthAddress token, CancellationToken cancellationToken) =>
        Transactions.CallAsync(
            "ERC20.allowance",
            () => Transactions.Web3.Eth.GetContractQueryHandler<AllowanceFunction>().QueryAsync<BigInteger>(
                token.ToString(), new AllowanceFunction { Owner = Account.ToString(), Spender = _address }, BlockParameter.CreateLatest()),
            cancellationToken);
}
