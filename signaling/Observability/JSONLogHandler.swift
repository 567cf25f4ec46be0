import Foundation
import Logging

/// Structured logs: one JSON object per line, for log shippers (`--log-format json`).
///
/// Each line starts with `ts` (ISO 8601, UTC, milliseconds), `level`, `label` and `message`, then
/// the metadata in key order: the handler's, the metadata provider's, then the record's, later
/// ones winning; so room, participant and session ids are fields to filter on, not text to parse.
/// A metadata key never replaces one of the four. `.string` and `.stringConvertible` values are
/// JSON strings, `.array` and `.dictionary` values JSON arrays and objects.
///
///     {"ts":"2026-11-26T20:31:47.447Z","level":"info","label":"sfu.room","message":"joined","participant":"PA_1","room":"r"}
///
/// Strings are escaped as RFC 8259 requires (control characters as `\n`, `\t`, `\u0001`, …, and
/// U+2028/U+2029 too, which JavaScript reads as line ends), so a line never holds a raw newline.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// `write` gets each whole line, newline included, in one call per record; standard error by
    /// default (`standardError`, which writes every line whole even from several threads).
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil,
                write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    /// Writes a line to standard error with `write(2)` under a process-wide lock, so lines from
    /// several threads (and several handlers) never interleave.
    public static let standardError: @Sendable (String) -> Void = { line in
        StandardError.shared.put(line)
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty { merged.merge(provided) { $1 } }
        if let explicit = event.metadata, !explicit.isEmpty { merged.merge(explicit) { $1 } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        write(Self.line(timestamp: Self.timestamp(), level: event.level, label: label, message: event.message.description,
                        metadata: merged))
    }

    // MARK: - Formatting

    private static let reservedKeys: Set<String> = ["ts", "level", "label", "message"]

    /// One record as a JSON object and a newline.
    static func line(timestamp: String, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var out = "{\"ts\":"
        out.reserveCapacity(128 + message.utf8.count)
        JSONTextWriter.appendQuoted(timestamp, to: &out)
        out += ",\"level\":"
        JSONTextWriter.appendQuoted(level.rawValue, to: &out)
        out += ",\"label\":"
        JSONTextWriter.appendQuoted(label, to: &out)
        out += ",\"message\":"
        JSONTextWriter.appendQuoted(message, to: &out)
        for key in metadata.keys.sorted() where !reservedKeys.contains(key) {
            out += ","
            JSONTextWriter.appendQuoted(key, to: &out)
            out += ":"
            // The key comes from the dictionary's own keys.
            if let value = metadata[key] { JSONTextWriter.append(json(value), to: &out) }
        }
        out += "}\n"
        return out
    }

    /// A metadata value as JSON: strings (and string-convertibles) as strings, arrays and
    /// dictionaries as arrays and objects.
    private static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let entries): .object(entries.mapValues(json))
        }
    }

    // MARK: - Time

    /// Now, as `2026-11-26T20:31:47.447Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return timestamp(seconds: Int64(now.tv_sec), nanoseconds: Int64(now.tv_nsec))
    }

    /// Seconds and nanoseconds since 1970 (UTC) as ISO 8601 with milliseconds, `…T…Z`.
    static func timestamp(seconds: Int64, nanoseconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        var out = ""
        out.reserveCapacity(24)
        func digits(_ value: Int64, _ width: Int) {
            let text = String(value)
            if text.count < width { out += String(repeating: "0", count: width - text.count) }
            out += text
        }
        digits(year, 4); out += "-"; digits(month, 2); out += "-"; digits(day, 2)
        out += "T"
        digits(secondOfDay / 3600, 2); out += ":"; digits(secondOfDay / 60 % 60, 2); out += ":"; digits(secondOfDay % 60, 2)
        out += "."; digits(nanoseconds / 1_000_000, 3); out += "Z"
        return out
    }
}

/// Standard error, one whole line per call.
private final class StandardError: Sendable {
    static let shared = StandardError()
    /// Held for a whole line (NSLock: `Mutex` needs macOS 15).
    private let lock = NSLock()

    func put(_ line: String) {
        var line = line
        line.withUTF8 { bytes in
            lock.withLock {
                var offset = 0
                while offset < bytes.count {
                    let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                    if written > 0 {
                        offset += written
                    } else if written < 0, errno == EINTR {
                        continue
                    } else {
                        return  // stderr closed or failing: nothing sensible to do with a log line
                    }
                }
            }
        }
    }
}
