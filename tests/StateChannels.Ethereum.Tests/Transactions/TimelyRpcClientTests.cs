using System.Net;
using System.Text;
using Nethereum.JsonRpc.Client;
using Nethereum.Web3;
using StateChannels.Ethereum.Internal;

namespace StateChannels.Ethereum.Tests.Transactions;

/// <summary>
/// The RPC client every adjudicator and event source uses (no node needed: a canned HTTP handler).
/// It answers and fails as Nethereum's <see cref="RpcClient"/> does, and leaves no time-out timer
/// behind a finished request (Issue 7: Nethereum's kept one per request for 20 s).
/// </summary>
public sealed class TimelyRpcClientTests
{
    private static readonly Uri Url = new("http://127.0.0.1:8545/");

    [Fact]
    public async Task Request_Answered_ReturnsTheResult()
    {
        string? sent = null;
        using var http = new HttpClient(new CannedHandler(body =>
        {
            sent = body;
            return Json("""{"jsonrpc":"2.0","id":1,"result":"0x2a"}""");
        }));
        var web3 = new Web3(new TimelyRpcClient(Url, http));

        var block = await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync();

        Assert.Equal(42, (int)block.Value);
        Assert.Contains("\"eth_blockNumber\"", sent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_HttpError_ThrowsRpcClientUnknown()
    {
        using var http = new HttpClient(new CannedHandler(_ => new HttpResponseMessage(HttpStatusCode.BadGateway)));
        var web3 = new Web3(new TimelyRpcClient(Url, http));

        await Assert.ThrowsAsync<RpcClientUnknownException>(() => web3.Eth.Blocks.GetBlockNumber.SendRequestAsync());
    }

    [Fact]
    public async Task Request_NoAnswerWithinTheHttpTimeout_ThrowsRpcClientTimeout()
    {
        using var http = new HttpClient(new CannedHandler(_ => null)) { Timeout = TimeSpan.FromMilliseconds(50) };
        var web3 = new Web3(new TimelyRpcClient(Url, http));

        await Assert.ThrowsAsync<RpcClientTimeoutException>(() => web3.Eth.Blocks.GetBlockNumber.SendRequestAsync());
    }

    [Fact]
    public async Task ManyRequests_LeaveNoTimersBehind()
    {
        const int Requests = 4_000;
        using var http = new HttpClient(new CannedHandler(_ => Json("""{"jsonrpc":"2.0","id":1,"result":"0x1"}""")));
        var web3 = new Web3(new TimelyRpcClient(Url, http));
        await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync();
        var before = Timer.ActiveCount;

        for (var i = 0; i < Requests; i++)
        {
            await web3.Eth.Blocks.GetBlockNumber.SendRequestAsync();
        }

        // Process-wide count (other tests run meanwhile): Nethereum's client adds one per request.
        Assert.True(Timer.ActiveCount - before < Requests / 2, $"{Timer.ActiveCount - before} timers left by {Requests} requests");
    }

    private static HttpResponseMessage Json(string body) =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    /// <summary>Answers every request with <c>answer(requestBody)</c>; a null answer never comes (until cancelled).</summary>
    private sealed class CannedHandler(Func<string, HttpResponseMessage?> answer) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            if (answer(body) is { } response)
            {
                return response;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
