import Foundation
import SFU

/// Turns one text frame into a `ClientRequest`, or the exact `error` the protocol prescribes.
///
/// Checks run in the spec's order: JSON object (`bad-json`), `v` (`unsupported-version`),
/// `type` (`unknown-type`), then the type's fields (`bad-request`). Unknown fields are ignored so
/// that later minor additions do not break older servers. Frame size and rate are the session's
/// business: they are checked before this runs.
public enum ClientMessageDecoder {
    public static let protocolVersion: Int64 = 1

    public static func decode(_ data: Data) throws(ProtocolViolation) -> ClientRequest {
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw ProtocolViolation(.badJSON, "the message is not valid JSON")
        }
        guard let object = value.objectValue else {
            throw ProtocolViolation(.badJSON, "the message is \(value.typeName), not a JSON object")
        }

        // Read `id` first, so that every later error can carry it.
        var id: MessageID?
        if let rawID = object["id"], rawID != .null {
            guard let parsed = MessageID(rawID) else {
                throw ProtocolViolation(.badRequest, "\"id\" must be a string or a number, not \(rawID.typeName)")
            }
            id = parsed
        }
        let fields = Fields(object: object, id: id)

        guard let version = object["v"] else {
            throw ProtocolViolation(.unsupportedVersion, "\"v\" is missing; this server speaks version 1", id: id)
        }
        guard version.integerValue == protocolVersion, version.stringValue == nil else {
            throw ProtocolViolation(.unsupportedVersion, "version \(version.jsonText()) is not supported; this server speaks version 1", id: id)
        }
        let type = try fields.string("type")

        let message: ClientMessage
        switch type {
        case "join":
            let token = try fields.optionalString("token")
            var resume: ResumeRequest?
            if let resumeValue = object["resume"], resumeValue != .null {
                guard let resumeObject = resumeValue.objectValue else {
                    throw ProtocolViolation(.badRequest, "\"resume\" must be an object, not \(resumeValue.typeName)", id: id)
                }
                let resumeFields = Fields(object: resumeObject, id: id, prefix: "resume.")
                resume = ResumeRequest(participantID: try resumeFields.string("participantId"),
                                       resumeToken: try resumeFields.string("resumeToken"))
            }
            message = .join(token: token, resume: resume)
        case "publish":
            message = .publish(sdp: try fields.string("sdp"))
        case "subscriber-answer":
            message = .subscriberAnswer(sdp: try fields.string("sdp"), version: try fields.integer("version"))
        case "restart-ice":
            message = .restartICE
        case "trickle":
            let targetName = try fields.string("target")
            guard let target = PeerRole(rawValue: targetName) else {
                throw ProtocolViolation(.badRequest, "\"target\" must be \"publisher\" or \"subscriber\", not \"\(targetName)\"", id: id)
            }
            message = .trickle(target: target, candidate: try fields.string("candidate"))
        case "mute":
            let trackID = try fields.string("trackId")
            guard !trackID.isEmpty else { throw ProtocolViolation(.badRequest, "\"trackId\" must not be empty", id: id) }
            message = .mute(trackID: trackID, muted: try fields.bool("muted"))
        case "video-size":
            let trackID = try fields.string("trackId")
            guard !trackID.isEmpty else { throw ProtocolViolation(.badRequest, "\"trackId\" must not be empty", id: id) }
            let width = try fields.integer("width"), height = try fields.integer("height")
            guard (0...ClientMessage.maximumVideoDimension).contains(width), (0...ClientMessage.maximumVideoDimension).contains(height) else {
                throw ProtocolViolation(.badRequest, "\"width\" and \"height\" must be 0 to \(ClientMessage.maximumVideoDimension)", id: id)
            }
            message = .videoSize(trackID: trackID, width: width, height: height)
        case "leave":
            message = .leave
        case "ping":
            message = .ping
        default:
            throw ProtocolViolation(.unknownType, "unknown message type \"\(type)\"", id: id)
        }
        return ClientRequest(id: id, message: message)
    }

    /// Typed access to an object's fields with `bad-request` errors that name the field.
    private struct Fields {
        let object: [String: JSONValue]
        let id: MessageID?
        var prefix = ""

        func string(_ key: String) throws(ProtocolViolation) -> String {
            guard let value = object[key] else { throw missing(key) }
            guard let text = value.stringValue else { throw wrongType(key, "a string", value) }
            return text
        }

        func optionalString(_ key: String) throws(ProtocolViolation) -> String? {
            guard let value = object[key], value != .null else { return nil }
            guard let text = value.stringValue else { throw wrongType(key, "a string", value) }
            return text
        }

        func integer(_ key: String) throws(ProtocolViolation) -> Int {
            guard let value = object[key] else { throw missing(key) }
            guard let number = value.integerValue, let integer = Int(exactly: number) else {
                throw wrongType(key, "an integer", value)
            }
            return integer
        }

        func bool(_ key: String) throws(ProtocolViolation) -> Bool {
            guard let value = object[key] else { throw missing(key) }
            guard let flag = value.boolValue else { throw wrongType(key, "a boolean", value) }
            return flag
        }

        private func missing(_ key: String) -> ProtocolViolation {
            ProtocolViolation(.badRequest, "\"\(prefix)\(key)\" is missing", id: id)
        }

        private func wrongType(_ key: String, _ expected: String, _ value: JSONValue) -> ProtocolViolation {
            ProtocolViolation(.badRequest, "\"\(prefix)\(key)\" must be \(expected), not \(value.typeName)", id: id)
        }
    }
}
