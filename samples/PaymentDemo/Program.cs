using StateChannels.Samples.PaymentDemo;

// The StateChannels demo: two console wallets pay each other over TCP on a local chain.
//
//   dotnet run --project samples/PaymentDemo                 # 1,000 payments, then a cooperative close
//   dotnet run --project samples/PaymentDemo -- --dispute    # a stolen old state, refuted by the watcher
//
// Exit code 0 when the on-chain payouts match the channel state to the wei; otherwise one line on
// stderr saying what failed, and a non-zero exit code.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // stop cleanly: the finally blocks below stop the wallets and anvil
    interrupt.Cancel();
};

// The same for SIGTERM (kill, docker stop, CI timeouts).
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM,
    context =>
    {
        context.Cancel = true;
        interrupt.Cancel();
    });

try
{
    var options = DemoOptions.Parse(args);
    if (options.Help)
    {
        Console.WriteLine(DemoOptions.Usage);
        return 0;
    }

    WalletProcess.Verbose = options.Verbose;
    var challenge = TimeSpan.FromSeconds(options.ChallengeSeconds ?? (options.Rpc is null ? 3600u : 120u));
    var clock = System.Diagnostics.Stopwatch.StartNew();
    await using (var world = await DemoWorld.CreateAsync(options, challenge, Say, interrupt.Token))
    {
        if (options.Dispute)
        {
            await DisputeStory.RunAsync(world, options, challenge, Say, interrupt.Token);
        }
        else
        {
            await PaymentStory.RunAsync(world, options, Say, interrupt.Token);
        }
    }

    Say($"Demo finished in {clock.Elapsed.TotalSeconds:0.0} s.");
    return 0;
}
catch (DemoFailure e)
{
    return Fail(e.Message, e.ExitCode);
}
catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
{
    return Fail("interrupted", 130);
}
catch (StateChannels.StateChannelException e)
{
    return Fail($"{e.Code}: {e.Message}", 1);
}
catch (Exception e)
{
    // Anything else (a node that answers nonsense, a full disk ...): still one line, never a stack trace.
    return Fail($"{e.GetType().Name}: {e.Message}", 1);
}
finally
{
    ChildProcesses.KillAll();
}

static void Say(string line) => Console.WriteLine(line);

static int Fail(string message, int exitCode)
{
    Console.Out.Flush();
    Console.Error.WriteLine($"PaymentDemo: error: {message.ReplaceLineEndings(" ")}");
    return exitCode;
}
