namespace GameServer;

/// <summary>A failure the game reports in one line and exits with code 3.</summary>
internal sealed class GameException(string message, Exception? inner = null) : Exception(message, inner);
