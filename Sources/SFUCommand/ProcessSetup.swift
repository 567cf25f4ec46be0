import Foundation
import Logging

/// What a long-running server process sets up about itself before it serves anyone.
enum ProcessSetup {
    /// Raises the soft descriptor limit to the hard one: every participant holds sockets (ICE,
    /// its WebSocket, relay allocations), and a common service default of 1 024 is reached by a
    /// few hundred participants, or by anyone holding idle connections, after which nobody can
    /// even fetch a token. Ignores SIGPIPE: a write to a closed pipe (a log reader gone) must be
    /// an error for that write, not the end of every call.
    static func prepare(logger: Logger) {
        signal(SIGPIPE, SIG_IGN)
        var limit = rlimit()
        guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0 else {
            logger.warning("cannot read the descriptor limit", metadata: ["errno": "\(errno)"])
            return
        }
        let before = UInt64(limit.rlim_cur)
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            if setrlimit(RLIMIT_NOFILE_VALUE, &limit) != 0 {
                logger.warning("cannot raise the descriptor limit", metadata: ["soft": "\(before)", "hard": "\(limit.rlim_max)", "errno": "\(errno)"])
                return
            }
        }
        logger.info("descriptor limit", metadata: ["soft": "\(limit.rlim_cur)", "was": "\(before)", "hard": "\(limit.rlim_max)"])
    }

    #if canImport(Glibc)
    private static let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
    #endif
}
