using System.Diagnostics.CodeAnalysis;
using StateChannels.Net.Noise;

namespace StateChannels.Net.WebSockets;

/// <summary>
/// Where and who a WebSocket hub is, as a dialer needs it: the endpoint's <c>ws://</c> or <c>wss://</c> URI and the
/// hub's Noise static key, written like <see cref="TcpPeerAddress"/> with a URI after the <c>@</c>:
/// <c>&lt;66 hex digits&gt;@wss://hub.example.com/channels</c>. Over <see cref="TransportEncryption.Noise"/> the key
/// is required (Noise_XK: the dialer must know it before it sends anything). <c>wss://</c> adds the ingress's TLS
/// around the Noise session; it is not needed for privacy, only to pass HTTPS-only ingresses. Immutable.
/// </summary>
public sealed class WebSocketPeerAddress
{
    /// <summary>Creates an address.</summary>
    /// <param name="uri">An absolute <c>ws://</c> or <c>wss://</c> URI (the path <see cref="WebSocketEndpointExtensions.MapStateChannels(Microsoft.AspNetCore.Routing.IEndpointRouteBuilder, string, WebSocketChannelServer, Func{WebSocketMessageConnection, CancellationToken, Task})"/> maps).</param>
    /// <param name="noiseKey">The hub's Noise static key (<see cref="WebSocketChannelServer.NoiseKey"/>); <see langword="null"/> only for <see cref="TransportEncryption.None"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="uri"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="uri"/> is not an absolute ws or wss URI, or carries user info.</exception>
    public WebSocketPeerAddress(Uri uri, NoisePublicKey? noiseKey)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!IsWebSocketUri(uri))
        {
            throw new ArgumentException("Expected an absolute ws:// or wss:// URI without user info.", nameof(uri));
        }

        Uri = uri;
        NoiseKey = noiseKey;
    }

    /// <summary>The endpoint's URI.</summary>
    public Uri Uri { get; }

    /// <summary>The hub's Noise static key, or <see langword="null"/> when unknown (plaintext only).</summary>
    public NoisePublicKey? NoiseKey { get; }

    /// <summary>Parses <c>key@ws[s]://host[:port]/path</c>, or a bare <c>ws[s]://</c> URI (no key: plaintext only).</summary>
    /// <param name="text">The text.</param>
    /// <param name="address">The address when valid.</param>
    /// <returns>Whether <paramref name="text"/> is a valid address.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out WebSocketPeerAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        NoisePublicKey? key = null;
        int scheme = text.IndexOf("://", StringComparison.Ordinal);
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0 && (scheme < 0 || at < scheme))
        {
            if (!NoisePublicKey.TryParse(text[..at], out NoisePublicKey parsed))
            {
                return false;
            }

            key = parsed;
            text = text[(at + 1)..];
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? uri) || !IsWebSocketUri(uri))
        {
            return false;
        }

        address = new WebSocketPeerAddress(uri, key);
        return true;
    }

    /// <summary>Parses <c>key@ws[s]://host[:port]/path</c>, or a bare URI.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The address.</returns>
    /// <exception cref="FormatException">Not a valid address.</exception>
    public static WebSocketPeerAddress Parse(string text) =>
        TryParse(text, out WebSocketPeerAddress? address)
            ? address
            : throw new FormatException("Not a WebSocket peer address: expected <66 hex digit Noise key>@wss://host/path.");

    /// <summary><c>key@uri</c>, or the URI alone without a key.</summary>
    /// <returns>The address as text.</returns>
    public override string ToString() => NoiseKey is { } key ? $"{key}@{Uri.AbsoluteUri}" : Uri.AbsoluteUri;

    private static bool IsWebSocketUri(Uri uri) =>
        uri.IsAbsoluteUri && (uri.Scheme == Uri.UriSchemeWs || uri.Scheme == Uri.UriSchemeWss) && string.IsNullOrEmpty(uri.UserInfo);
}
