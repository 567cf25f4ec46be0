#if canImport(Glibc)
import Glibc
#endif

/// A socket or poller system call that failed: which one, on what, and the errno it gave.
public struct DatagramIOError: Error, CustomStringConvertible, Equatable {
    public enum Call: String, Sendable {
        case socket, bind, setsockopt, getsockname, epollCreate = "epoll_create1", epollAdd = "epoll_ctl(ADD)",
             epollWait = "epoll_wait", eventfd
    }

    public let call: Call
    public let errno: Int32
    /// What the call was about (an address, an option name), for the message.
    public let subject: String

    public init(_ call: Call, errno: Int32, subject: String = "") {
        self.call = call
        self.errno = errno
        self.subject = subject
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        return subject.isEmpty ? "\(call.rawValue) failed: \(reason)" : "\(call.rawValue) \(subject) failed: \(reason)"
    }

    /// The port is taken (or, for a relay port, by another allocation): try another.
    public var isAddressInUse: Bool { call == .bind && errno == EADDRINUSE }
}
