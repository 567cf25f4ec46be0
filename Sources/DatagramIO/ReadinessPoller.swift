#if canImport(Glibc)
import Glibc
#endif
import CDatagram

/// An epoll instance with a wakeup eventfd: one worker thread waits on it for readable sockets
/// (level-triggered: a socket left with datagrams is reported again) and for work posted from
/// other threads. The descriptors are closed at deinit.
public final class ReadinessPoller: @unchecked Sendable {
    private let poller: Int32
    private let wakeupDescriptor: Int32
    private var tokens: [UInt64]
    /// The token under which a wakeup is reported.
    public static let wakeupToken = UInt64.max

    public init(capacity: Int = 64) throws(DatagramIOError) {
        let poller = cdatagram_poller_create()
        guard poller >= 0 else { throw DatagramIOError(.epollCreate, errno: errno) }
        let wakeup = cdatagram_wakeup_create()
        guard wakeup >= 0 else {
            let error = errno
            _ = Glibc.close(poller)
            throw DatagramIOError(.eventfd, errno: error)
        }
        guard cdatagram_poller_add(poller, wakeup, Self.wakeupToken) == 0 else {
            let error = errno
            _ = Glibc.close(poller)
            _ = Glibc.close(wakeup)
            throw DatagramIOError(.epollAdd, errno: error, subject: "eventfd")
        }
        self.poller = poller
        self.wakeupDescriptor = wakeup
        self.tokens = Array(repeating: 0, count: min(capacity, 64))
    }

    deinit {
        _ = Glibc.close(poller)
        _ = Glibc.close(wakeupDescriptor)
    }

    /// Watches `descriptor` for reading; `token` comes back when it is readable.
    public func add(_ descriptor: Int32, token: UInt64) throws(DatagramIOError) {
        guard cdatagram_poller_add(poller, descriptor, token) == 0 else {
            throw DatagramIOError(.epollAdd, errno: errno, subject: "descriptor \(descriptor)")
        }
    }

    /// Stops watching (closing the descriptor does the same; this is for a socket kept open).
    public func remove(_ descriptor: Int32) {
        _ = cdatagram_poller_remove(poller, descriptor)
    }

    /// Wakes the waiting thread; safe from any thread.
    public func wakeUp() { cdatagram_wakeup_signal(wakeupDescriptor) }

    /// Waits up to `timeoutMilliseconds` (-1: no limit) and calls `body` with each ready token
    /// (a wakeup is drained first and reported as `wakeupToken`).
    @inline(__always)
    public func wait(timeoutMilliseconds: Int32, _ body: (UInt64) -> Void) throws(DatagramIOError) {
        let ready = tokens.withUnsafeMutableBufferPointer {
            cdatagram_poller_wait(poller, $0.baseAddress, Int32($0.count), timeoutMilliseconds)
        }
        guard ready >= 0 else { throw DatagramIOError(.epollWait, errno: errno) }
        for index in 0..<Int(ready) {
            let token = tokens[index]
            if token == Self.wakeupToken { cdatagram_wakeup_drain(wakeupDescriptor) }
            body(token)
        }
    }
}
