/// Line-based RFC 8866 parser.
///
/// Accepts CRLF or bare LF line endings (RFC 8866 5 asks parsers to), and is strict about the
/// rest: every line must be `<letter>=<value>`, the session must start `v=0`, `o=`, `s=`, and
/// known attributes must follow their grammar. Each limit in `SDPLimits` is checked before the
/// work it bounds, so hostile input costs at most `maxBytes` of scanning.
struct SDPParser {
    let limits: SDPLimits

    func parse(_ bytes: some Collection<UInt8>) throws(SDPParseError) -> SessionDescription {
        guard bytes.count <= limits.maxBytes else { throw .tooLarge(limit: limits.maxBytes) }
        var lines = Array(bytes).split(separator: 0x0A, omittingEmptySubsequences: false)
        // A final line ending leaves one empty piece; trailing blank lines are tolerated too.
        while let last = lines.last, last.isEmpty || last == [0x0D] { lines.removeLast() }
        guard !lines.isEmpty else { throw .empty }

        var builder = Builder(limits: limits)
        for (index, raw) in lines.enumerated() {
            let number = index + 1
            var line = raw
            if line.last == 0x0D { line.removeLast() }
            guard line.count <= limits.maxLineLength else { throw .lineTooLong(line: number) }
            guard !line.contains(0), !line.contains(0x0D) else { throw .forbiddenCharacter(line: number) }
            guard let text = String(validating: line, as: UTF8.self) else { throw .invalidUTF8(line: number) }
            let utf8 = text.utf8
            guard utf8.count >= 2, let type = utf8.first, utf8[utf8.index(after: utf8.startIndex)] == UInt8(ascii: "=")
            else { throw .malformedLine(line: number) }
            guard (0x61...0x7A).contains(type) else { throw .malformedLine(line: number) }
            let value = text.dropFirst(2)
            try builder.add(type: Character(Unicode.Scalar(type)), value: value, line: number)
        }
        return try builder.finish()
    }
}

/// Accumulates lines into a `SessionDescription`, checking RFC 8866 5 ordering as it goes.
private struct Builder {
    let limits: SDPLimits
    var sawVersion = false
    var origin: Origin?
    var sessionName: String?
    var session = SessionDescription(origin: Origin(sessionID: 0, sessionVersion: 0), timing: [])
    var media: [MediaDescription] = []

    init(limits: SDPLimits) { self.limits = limits }

    mutating func add(type: Character, value: Substring, line: Int) throws(SDPParseError) {
        // RFC 8866 5: v=, o=, s= come first and in that order.
        if !sawVersion {
            guard type == "v" else { throw .missingLine(type: "v") }
            guard value == "0" else { throw .unsupportedVersion(line: line) }
            sawVersion = true
            return
        }
        if origin == nil {
            guard type == "o" else { throw .missingLine(type: "o") }
            guard let o = Origin(parsing: value) else { throw .invalidOrigin(line: line) }
            origin = o
            return
        }
        if sessionName == nil {
            guard type == "s" else { throw .missingLine(type: "s") }
            // RFC 8866 5.3: non-empty; a single space is allowed by RFC 8866 for "no name".
            guard !value.isEmpty else { throw .malformedLine(line: line) }
            sessionName = String(value)
            return
        }
        if type == "m" {
            guard media.count < limits.maxMediaSections else { throw .tooManyMediaSections(line: line) }
            media.append(try parseMediaLine(value, line: line))
            return
        }
        if media.isEmpty {
            try addSessionLine(type: type, value: value, line: line)
        } else {
            // Take the section out while editing it: passing `&media[i]` into a method of `self`
            // would copy `self`, and with it every section, on each line.
            var section = media.removeLast()
            defer { media.append(section) }
            try addMediaLine(type: type, value: value, line: line, to: &section)
        }
    }

    mutating func addSessionLine(type: Character, value: Substring, line: Int) throws(SDPParseError) {
        switch type {
        case "i" where session.information == nil: session.information = String(value)
        case "u" where session.uri == nil: session.uri = String(value)
        case "e": session.emails.append(String(value))
        case "p": session.phones.append(String(value))
        case "c" where session.connection == nil:
            guard let c = Connection(parsing: value) else { throw .invalidConnection(line: line) }
            session.connection = c
        case "b":
            guard let b = Bandwidth(parsing: value) else { throw .invalidBandwidth(line: line) }
            session.bandwidths.append(b)
        case "t":
            guard let t = Timing(parsing: value) else { throw .invalidTiming(line: line) }
            session.timing.append(t)
        case "r":
            guard !session.timing.isEmpty, !value.isEmpty else { throw .unexpectedLine(line: line, type: type) }
            session.timing[session.timing.count - 1].repeats.append(String(value))
        case "z" where session.timeZones == nil: session.timeZones = String(value)
        case "k" where session.encryptionKey == nil: session.encryptionKey = String(value)
        case "a":
            guard session.attributes.count < limits.maxAttributesPerSection else { throw .tooManyAttributes(line: line) }
            session.attributes.append(try parseAttribute(value, line: line))
        case "v", "o", "s", "i", "u", "c", "z", "k": throw .unexpectedLine(line: line, type: type)
        default: throw .unknownLineType(line: line, type: type)
        }
    }

    func addMediaLine(type: Character, value: Substring, line: Int, to m: inout MediaDescription) throws(SDPParseError) {
        switch type {
        case "i" where m.information == nil: m.information = String(value)
        case "c":
            guard let c = Connection(parsing: value) else { throw .invalidConnection(line: line) }
            guard m.connections.count < 16 else { throw .unexpectedLine(line: line, type: type) }
            m.connections.append(c)
        case "b":
            guard let b = Bandwidth(parsing: value) else { throw .invalidBandwidth(line: line) }
            guard m.bandwidths.count < 16 else { throw .unexpectedLine(line: line, type: type) }
            m.bandwidths.append(b)
        case "k" where m.encryptionKey == nil: m.encryptionKey = String(value)
        case "a":
            guard m.attributes.count < limits.maxAttributesPerSection else { throw .tooManyAttributes(line: line) }
            m.attributes.append(try parseAttribute(value, line: line))
        case "v", "o", "s", "i", "u", "e", "p", "t", "r", "z", "k": throw .unexpectedLine(line: line, type: type)
        default: throw .unknownLineType(line: line, type: type)
        }
    }

    /// `m=<media> <port>[/<number of ports>] <proto> 1*(SP <fmt>)` (RFC 8866 5.14).
    func parseMediaLine(_ value: Substring, line: Int) throws(SDPParseError) -> MediaDescription {
        let f = value.split(separator: " ", omittingEmptySubsequences: false)
        // proto = token *("/" token); the port is checked below.
        guard f.count >= 3, SDPToken.isToken(f[0]),
            f[2].split(separator: "/", omittingEmptySubsequences: false).allSatisfy({ SDPToken.isToken($0) })
        else { throw .invalidMedia(line: line) }
        guard f.count >= 4 else { throw .invalidMedia(line: line) }
        guard f.count - 3 <= limits.maxFormatsPerMedia else { throw .tooManyFormats(line: line) }
        guard f[3...].allSatisfy({ SDPToken.isToken($0) }) else { throw .invalidMedia(line: line) }
        let portParts = f[1].split(separator: "/", omittingEmptySubsequences: false)
        guard portParts.count <= 2, let port: UInt16 = SDPToken.decimal(portParts[0]) else {
            throw .invalidPort(line: line)
        }
        var count: UInt16?
        if portParts.count == 2 {
            guard let c: UInt16 = SDPToken.decimal(portParts[1]), c > 0 else { throw .invalidPort(line: line) }
            count = c
        }
        return MediaDescription(
            kind: MediaKind(f[0]), port: port, portCount: count, proto: String(f[2]), formats: f[3...].map(String.init))
    }

    func parseAttribute(_ value: Substring, line: Int) throws(SDPParseError) -> SDPAttribute {
        let name: Substring
        let rest: Substring?
        if let colon = value.firstIndex(of: ":") {
            name = value[..<colon]
            rest = value[value.index(after: colon)...]
        } else {
            name = value
            rest = nil
        }
        guard SDPToken.isToken(name) else { throw .invalidAttribute(line: line, name: String(name)) }
        guard let attribute = SDPAttribute.parse(name: name, value: rest) else {
            throw .invalidAttribute(line: line, name: String(name))
        }
        return attribute
    }

    mutating func finish() throws(SDPParseError) -> SessionDescription {
        guard sawVersion else { throw .missingLine(type: "v") }
        guard let origin else { throw .missingLine(type: "o") }
        guard let sessionName else { throw .missingLine(type: "s") }
        guard !session.timing.isEmpty else { throw .missingLine(type: "t") }
        session.origin = origin
        session.sessionName = sessionName
        session.media = media
        return session
    }
}

extension SessionDescription {
    /// Parses SDP text (RFC 8866), enforcing `limits`.
    public init(parsing text: String, limits: SDPLimits = .default) throws(SDPParseError) {
        self = try SDPParser(limits: limits).parse(text.utf8)
    }

    /// Parses raw bytes, which must be UTF-8; use this for data straight off the wire so that
    /// invalid UTF-8 is reported instead of silently replaced.
    public init(parsing bytes: [UInt8], limits: SDPLimits = .default) throws(SDPParseError) {
        self = try SDPParser(limits: limits).parse(bytes)
    }
}
