import COpenSSL

/// OpenSSL's thread-local error queue, read once where a failure happens.
enum OpenSSLErrorStack {
    /// Drains the calling thread's error queue into readable lines ("error:0A000086:SSL routines::
    /// certificate verify failed"). Draining also keeps a stale error from being blamed on a
    /// later, unrelated call on the same worker thread.
    static func drain() -> [String] {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages
    }

    static func clear() { ERR_clear_error() }
}
