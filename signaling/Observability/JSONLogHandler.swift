import Foundation
import Logging

/// Structured logs: one JSON object per line, for log shippers (`--log-format json`). Each line
/// has `ts` (ISO 8601, UTC, milliseconds), `level`, `label` and `message`, then the metadata
/// (the handler's, the provider's, then the record's, later ones winning), so room, participant
/// and session ids are fields to filter on, not text to parse. A metadata key never replaces one
/// of the four.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// `write` gets each whole line, newline included (one call per record, so lines from
    /// several threads never interleave); standard error by default.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil,
                write: @escaping @Sendable (String) -> Void = JSONLogHandler.standardError) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.write = write
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data(line.utf8))
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        let level = event.level
        let message = event.message
        var object: [String: JSONValue] = [:]
        for (key, value) in merged { object[key] = Self.json(value) }
        object["ts"] = .string(Date().ISO8601Format(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        object["level"] = .string(level.rawValue)
        object["label"] = .string(label)
        object["message"] = .string(message.description)
        write(JSONValue.object(object).jsonText() + "\n")
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let entries): .object(entries.mapValues(json))
        }
    }
}
