import ArgumentParser
import Foundation
import Logging
import Signaling

/// A run-time failure ArgumentParser prints as "Error: …" without the usage text (which a
/// `ValidationError` adds, and which says nothing about a bad key, file or busy port).
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}

/// How log lines look on stderr: text for people, JSON (one object a line) for log shippers.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Logs to stderr at `level` in `format` (nil: SFU_LOG_FORMAT, else text), for every command.
func bootstrapLogging(level: Logger.Level, format: LogFormat? = nil) throws {
    let chosen: LogFormat
    if let format {
        chosen = format
    } else if let text = ProcessInfo.processInfo.environment["SFU_LOG_FORMAT"], !text.isEmpty {
        guard let parsed = LogFormat(rawValue: text) else {
            throw CommandFailure("SFU_LOG_FORMAT must be text or json, not \"\(text)\"")
        }
        chosen = parsed
    } else {
        chosen = .text
    }
    LoggingSystem.bootstrap { label in
        switch chosen {
        case .text:
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        case .json:
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Standard output and error for the commands' own lines. A write that fails (the reader of a
/// pipe gone) is dropped: `FileHandle.write(_:)` traps on EPIPE, which ended `sfu serve` when
/// its log reader went away.
enum StandardStream {
    case output, error

    func write(_ text: String) { write(Data(text.utf8)) }

    func write(_ data: Data) {
        try? (self == .output ? FileHandle.standardOutput : FileHandle.standardError).write(contentsOf: data)
    }
}
