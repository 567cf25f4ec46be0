#if canImport(Glibc)
import Glibc
#endif
import CDatagram

/// `count` message headers for recvmmsg/sendmmsg, each wired once to its own iovec and address
/// storage, so a batch call only fills in lengths. Allocated at creation, freed at deinit.
final class MessageVector {
    let count: Int
    let messages: UnsafeMutablePointer<cdatagram_message>
    let vectors: UnsafeMutablePointer<iovec>
    let addresses: UnsafeMutablePointer<sockaddr_storage>

    init(count: Int) {
        self.count = count
        messages = .allocate(capacity: count)
        vectors = .allocate(capacity: count)
        addresses = .allocate(capacity: count)
        for index in 0..<count {
            vectors[index] = iovec()
            messages[index] = cdatagram_message()
            messages[index].header.msg_name = UnsafeMutableRawPointer(addresses + index)
            messages[index].header.msg_iov = vectors + index
            messages[index].header.msg_iovlen = 1
        }
    }

    deinit {
        messages.deallocate()
        vectors.deallocate()
        addresses.deallocate()
    }
}
