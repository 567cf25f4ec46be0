import Logging
import ServiceLifecycle

/// Ends every session when the server stops (SIGTERM/SIGINT through swift-service-lifecycle).
///
/// Listed after the HTTP server in the `ServiceGroup`, it is shut down before it (a group stops
/// its services in reverse order): clients get `bye` (`server-shutdown`) while the sockets are
/// still open, rather than a bare close frame from the HTTP server's own shutdown.
public struct SessionDrainService: Service {
    let registry: SessionRegistry
    let timeout: Duration
    let logger: Logger

    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            return  // cancelled: the group is being torn down without grace
        }
        let open = registry.count
        logger.info("shutting down signaling", metadata: ["sessions": "\(open)"])
        registry.shutDownAll()
        await registry.waitUntilEmpty(timeout: timeout)
    }
}
