using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using StateChannels.Net.Noise;

namespace StateChannels.Net;

/// <summary>
/// Where and who a listener is, as a dialer needs it: its end point and its Noise static key, written
/// like a Lightning node address, <c>&lt;66 hex digits&gt;@host:port</c> (for example
/// <c>02a1…c3@127.0.0.1:9735</c>). Over <see cref="TransportEncryption.Noise"/> the key is required: it is
/// how the dialer knows it reaches the right listener before sending anything (Noise_XK). A listener
/// shows its own as <see cref="TcpChannelListener.PeerAddress"/>. Immutable.
/// </summary>
public sealed class TcpPeerAddress
{
    /// <summary>Creates an address.</summary>
    /// <param name="endPoint">An <see cref="IPEndPoint"/> or a <see cref="DnsEndPoint"/>.</param>
    /// <param name="noiseKey">The listener's Noise static key; <see langword="null"/> only for <see cref="TransportEncryption.None"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="endPoint"/> is null.</exception>
    public TcpPeerAddress(EndPoint endPoint, NoisePublicKey? noiseKey)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        EndPoint = endPoint;
        NoiseKey = noiseKey;
    }

    /// <summary>The listener's end point.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The listener's Noise static key, or <see langword="null"/> when unknown (plaintext only).</summary>
    public NoisePublicKey? NoiseKey { get; }

    /// <summary>Parses <c>key@host:port</c>, or <c>host:port</c> (no key: plaintext only). IPv6 hosts go in brackets.</summary>
    /// <param name="text">The text.</param>
    /// <param name="address">The address when valid.</param>
    /// <returns>Whether <paramref name="text"/> is a valid address.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out TcpPeerAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        NoisePublicKey? key = null;
        int at = text.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            if (!NoisePublicKey.TryParse(text[..at], out NoisePublicKey parsed))
            {
                return false;
            }

            key = parsed;
            text = text[(at + 1)..];
        }

        if (IPEndPoint.TryParse(text, out IPEndPoint? ip) && ip.Port != 0)
        {
            address = new TcpPeerAddress(ip, key);
            return true;
        }

        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            return false;
        }

        address = new TcpPeerAddress(new DnsEndPoint(text[..colon], port), key);
        return true;
    }

    /// <summary>Parses <c>key@host:port</c>, or <c>host:port</c>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The address.</returns>
    /// <exception cref="FormatException">Not a valid address.</exception>
    public static TcpPeerAddress Parse(string text) =>
        TryParse(text, out TcpPeerAddress? address) ? address : throw new FormatException("Not a peer address: expected <66 hex digit Noise key>@host:port.");

    /// <summary><c>key@host:port</c>, or <c>host:port</c> without a key.</summary>
    /// <returns>The address as text.</returns>
    public override string ToString()
    {
        string endPoint = EndPoint is DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : EndPoint.ToString() ?? string.Empty;
        return NoiseKey is { } key ? $"{key}@{endPoint}" : endPoint;
    }
}
