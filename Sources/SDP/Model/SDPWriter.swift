extension SessionDescription {
    /// The description as SDP text with CRLF line endings (RFC 8866 5), lines in RFC order.
    public var text: String {
        var out = ""
        out.reserveCapacity(4096)
        func line(_ type: String, _ value: String) {
            out += type
            out += "="
            out += value
            out += "\r\n"
        }
        line("v", String(version))
        line("o", origin.fieldValue)
        line("s", sessionName)
        if let information { line("i", information) }
        if let uri { line("u", uri) }
        for e in emails { line("e", e) }
        for p in phones { line("p", p) }
        if let connection { line("c", connection.fieldValue) }
        for b in bandwidths { line("b", b.fieldValue) }
        for t in timing {
            line("t", "\(t.start) \(t.stop)")
            for r in t.repeats { line("r", r) }
        }
        if let timeZones { line("z", timeZones) }
        if let encryptionKey { line("k", encryptionKey) }
        for a in attributes { line("a", a.text) }
        for m in media {
            let port = String(m.port) + (m.portCount.map { "/\($0)" } ?? "")
            line("m", ([m.kind.description, port, m.proto] + m.formats).joined(separator: " "))
            if let information = m.information { line("i", information) }
            for c in m.connections { line("c", c.fieldValue) }
            for b in m.bandwidths { line("b", b.fieldValue) }
            if let key = m.encryptionKey { line("k", key) }
            for a in m.attributes { line("a", a.text) }
        }
        return out
    }
}
