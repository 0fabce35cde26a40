namespace StateChannels.Storage.LiteDb.Tests;

/// <summary>
/// An in-memory disk that loses power on demand. Writes land in a volatile image; a flush makes
/// the file's volatile image durable. <see cref="PowerLoss"/> freezes the disk (every later
/// operation throws <see cref="IOException"/>) and returns the disk a reboot would find: each
/// file's durable image plus a random subset of its unflushed writes (in order), since a real
/// device may have persisted any of them. Writes are not torn below their own size.
/// </summary>
internal sealed class SimulatedDisk
{
    private readonly object _gate = new();
    private readonly Dictionary<string, SimulatedFile> _files = new(StringComparer.Ordinal);
    private bool _lost;
    private long _operationsLeft = long.MaxValue;

    public Func<string, Stream> Opener => Open;

    public Stream Open(string path)
    {
        lock (_gate)
        {
            ThrowIfLost();
            if (!_files.TryGetValue(path, out SimulatedFile? file))
            {
                _files[path] = file = new SimulatedFile([]);
            }

            return new SimulatedStream(this, file);
        }
    }

    public byte[] DurableImage(string path)
    {
        lock (_gate)
        {
            return _files[path].Durable.ToArray();
        }
    }

    /// <summary>True once the power is gone.</summary>
    /// <summary>Replaces a file's durable content (damage, or the last write torn).</summary>
    public void Edit(string path, Func<byte[], byte[]> edit)
    {
        lock (_gate)
        {
            _files[path] = new SimulatedFile(edit(_files[path].Durable.ToArray()));
        }
    }

    /// <summary>Removes a file.</summary>
    public void Delete(string path)
    {
        lock (_gate)
        {
            _files.Remove(path);
        }
    }

    public bool IsLost
    {
        get
        {
            lock (_gate)
            {
                return _lost;
            }
        }
    }

    /// <summary>The power goes when the given number of further writes, flushes and truncations have been attempted (the last one fails).</summary>
    public void ArmPowerLoss(long afterOperations)
    {
        lock (_gate)
        {
            _operationsLeft = afterOperations;
        }
    }

    /// <summary>Cuts the power now (if it is not already gone) and returns the disk a reboot finds.</summary>
    public SimulatedDisk PowerLoss(Random random)
    {
        lock (_gate)
        {
            _lost = true;
            var rebooted = new SimulatedDisk();
            foreach ((string path, SimulatedFile file) in _files)
            {
                rebooted._files[path] = file.Survivor(random);
            }

            return rebooted;
        }
    }

    private void CountOperation()
    {
        ThrowIfLost();
        if (--_operationsLeft <= 0)
        {
            _lost = true;
            ThrowIfLost();
        }
    }

    private void ThrowIfLost()
    {
        if (_lost)
        {
            throw new IOException("Simulated power loss.");
        }
    }

    private sealed class SimulatedFile(byte[] image)
    {
        private readonly List<(long Position, byte[]? Data, long Length)> _unflushed = [];

        public byte[] Durable { get; private set; } = image;

        public MemoryStream Current { get; } = CreateCurrent(image);

        public void Write(long position, ReadOnlySpan<byte> data)
        {
            Current.Position = position;
            Current.Write(data);
            _unflushed.Add((position, data.ToArray(), -1));
        }

        public void SetLength(long length)
        {
            Current.SetLength(length);
            _unflushed.Add((-1, null, length));
        }

        public void Flush()
        {
            Durable = Current.ToArray();
            _unflushed.Clear();
        }

        public SimulatedFile Survivor(Random random)
        {
            var image = CreateCurrent(Durable);
            foreach ((long position, byte[]? data, long length) in _unflushed)
            {
                if (random.Next(2) == 0)
                {
                    continue;
                }

                if (data is null)
                {
                    image.SetLength(length);
                }
                else
                {
                    image.Position = position;
                    image.Write(data);
                }
            }

            return new SimulatedFile(image.ToArray());
        }

        private static MemoryStream CreateCurrent(byte[] image)
        {
            var stream = new MemoryStream();
            stream.Write(image);
            return stream;
        }
    }

    private sealed class SimulatedStream(SimulatedDisk disk, SimulatedFile file) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => true;

        public override long Length
        {
            get
            {
                lock (disk._gate)
                {
                    disk.ThrowIfLost();
                    return file.Current.Length;
                }
            }
        }

        public override long Position
        {
            get => _position;
            set => _position = value;
        }

        public override void Flush()
        {
            lock (disk._gate)
            {
                disk.CountOperation();
                file.Flush();
            }
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            lock (disk._gate)
            {
                disk.ThrowIfLost();
                file.Current.Position = _position;
                int read = file.Current.Read(buffer, offset, count);
                _position += read;
                return read;
            }
        }

        public override long Seek(long offset, SeekOrigin origin) => _position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => Length + offset,
        };

        public override void SetLength(long value)
        {
            lock (disk._gate)
            {
                disk.CountOperation();
                file.SetLength(value);
            }
        }

        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (disk._gate)
            {
                disk.CountOperation();
                file.Write(_position, buffer.AsSpan(offset, count));
                _position += count;
            }
        }
    }
}
