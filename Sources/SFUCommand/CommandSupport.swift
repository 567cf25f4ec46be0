import Logging

/// A run-time failure ArgumentParser prints as "Error: …" without the usage text (which a
/// `ValidationError` adds, and which says nothing about a bad key, file or busy port).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}

/// Logs to stderr at `level`, for every command that runs a server.
func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
