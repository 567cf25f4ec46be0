// Network byte order (big-endian) access to the caller's buffers. Callers check bounds first;
// these helpers are the only place raw loads and stores happen.

extension UnsafeRawBufferPointer {
    @inline(__always)
    func uint8(at offset: Int) -> UInt8 { self[offset] }

    @inline(__always)
    func uint16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    func uint24(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 16 | UInt32(self[offset + 1]) << 8 | UInt32(self[offset + 2])
    }

    @inline(__always)
    func uint32(at offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    func uint64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A view of `range` whose indices start at zero.
    @inline(__always)
    func slice(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: self[range])
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func setUInt8(_ value: UInt8, at offset: Int) { self[offset] = value }

    @inline(__always)
    func setUInt16(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always)
    func setUInt24(_ value: UInt32, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 16)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 2] = UInt8(truncatingIfNeeded: value)
    }

    @inline(__always)
    func setUInt32(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inline(__always)
    func setUInt64(_ value: UInt64, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
    }

    /// Copies `bytes` to `offset`; the caller has checked there is room.
    @inline(__always)
    func copy(_ bytes: UnsafeRawBufferPointer, to offset: Int) {
        guard !bytes.isEmpty else { return }
        UnsafeMutableRawBufferPointer(rebasing: self[offset..<(offset + bytes.count)]).copyMemory(from: bytes)
    }

    /// Copies any byte collection to `offset`; the caller has checked there is room.
    @inline(__always)
    func copy(_ bytes: some Collection<UInt8>, to offset: Int) {
        var index = offset
        for byte in bytes {
            self[index] = byte
            index += 1
        }
    }

    @inline(__always)
    func zero(_ range: Range<Int>) {
        for index in range { self[index] = 0 }
    }

    /// Throws unless `needed` bytes fit.
    @inline(__always)
    func require(_ needed: Int) throws(RTPWriteError) {
        if needed > count { throw .bufferTooSmall(needed: needed, have: count) }
    }
}
