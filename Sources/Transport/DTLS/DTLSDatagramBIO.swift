import COpenSSL

/// An OpenSSL BIO that carries DTLS over the ICE transport one datagram at a time.
///
/// A memory BIO would merge a flight's records into one buffer, losing the datagram boundaries
/// DTLS relies on (RFC 6347 4.1.1: records must not span datagrams, and each flight fragment must
/// fit the path MTU). This BIO keeps them: every OpenSSL write is handed to the session as one
/// datagram to send, and a read returns exactly the datagram being processed (swift-nio-ssl's
/// ByteBufferBIO is the model: C callbacks reach Swift through `Unmanaged` user data).
enum DTLSDatagramBIO {
    /// Built once per process; BIO_METHOD tables are immutable once filled in.
    nonisolated(unsafe) static let method: OpaquePointer = {
        let type = BIO_get_new_index() | sfu_BIO_TYPE_SOURCE_SINK()
        guard let method = BIO_meth_new(type, "sfu-dtls-datagram") else {
            fatalError("BIO_meth_new failed: out of memory")
        }
        BIO_meth_set_write(method, bioWrite)
        BIO_meth_set_read(method, bioRead)
        BIO_meth_set_ctrl(method, bioCtrl)
        BIO_meth_set_create(method, bioCreate)
        BIO_meth_set_destroy(method, bioDestroy)
        return method
    }()

    /// A new BIO whose data pointer is `session` (unretained: the session owns the SSL that owns
    /// the BIO, so the session always outlives it).
    static func make(for session: DTLSSession) -> OpaquePointer? {
        guard let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(session).toOpaque())
        return bio
    }

    fileprivate static func session(_ bio: OpaquePointer?) -> DTLSSession? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<DTLSSession>.fromOpaque(data).takeUnretainedValue()
    }
}

private let bioWrite: @convention(c) (OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = { bio, data, length in
    guard let session = DTLSDatagramBIO.session(bio), let data, length > 0 else { return -1 }
    session.bioSendDatagram(UnsafeRawBufferPointer(start: data, count: Int(length)))
    return length
}

private let bioRead: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int32) -> Int32 = { bio, buffer, capacity in
    sfu_BIO_clear_retry_flags(bio)
    guard let session = DTLSDatagramBIO.session(bio), let buffer, capacity > 0 else { return -1 }
    let count = session.bioTakeDatagram(into: UnsafeMutableRawBufferPointer(start: buffer, count: Int(capacity)))
    if count < 0 {
        // Nothing to read now: OpenSSL returns WANT_READ and we call again on the next datagram.
        sfu_BIO_set_retry_read(bio)
        return -1
    }
    return Int32(count)
}

private let bioCtrl: @convention(c) (OpaquePointer?, Int32, Int, UnsafeMutableRawPointer?) -> Int = { bio, command, _, _ in
    switch command {
    case sfu_BIO_CTRL_FLUSH(): return 1
    case sfu_BIO_CTRL_DGRAM_QUERY_MTU(): return DTLSSession.defaultMTU
    // IPv4 + UDP headers, for OpenSSL's own fragment arithmetic.
    case sfu_BIO_CTRL_DGRAM_GET_MTU_OVERHEAD(): return 28
    case sfu_BIO_CTRL_PENDING(), sfu_BIO_CTRL_WPENDING(): return 0
    default: return 0
    }
}

private let bioCreate: @convention(c) (OpaquePointer?) -> Int32 = { bio in
    BIO_set_init(bio, 1)
    return 1
}

private let bioDestroy: @convention(c) (OpaquePointer?) -> Int32 = { bio in
    guard let bio else { return 0 }
    BIO_set_data(bio, nil)
    BIO_set_init(bio, 0)
    return 1
}
