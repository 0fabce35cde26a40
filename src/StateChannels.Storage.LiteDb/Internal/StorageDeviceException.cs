namespace StateChannels.Storage.LiteDb;

/// <summary>
/// A read, write or flush of a store file failed. Deliberately not an <see cref="IOException"/>:
/// LiteDB 5 closes itself on those (see <see cref="DurableStream"/>). The store reports it as
/// <see cref="ErrorCode.StorageFailure"/>.
/// </summary>
internal sealed class StorageDeviceException(string message, Exception? innerException) : Exception(message, innerException);
