import Hummingbird

/// Who may read `/metrics` and `/stats`: the bearer of the metrics token (RFC 6750), or, without
/// a token and only in development mode, anyone. Shared by `sfu serve` and `sfu turn`.
public struct MetricsAuthorization: Sendable {
    public let token: String?
    public let openWithoutToken: Bool

    public init(token: String?, openWithoutToken: Bool) {
        self.token = token
        self.openWithoutToken = openWithoutToken
    }

    /// nil when `request` may see the figures; else the answer: 403 when no token is set up (and
    /// the endpoints are not open), 401 with a Bearer challenge (RFC 6750 3) otherwise.
    public func refusal(for request: Request) -> Response? {
        guard let token else {
            if openWithoutToken { return nil }
            return SignalingServer.json(["error": "metrics and stats are disabled: set a metrics token (--metrics-token, SFU_METRICS_TOKEN)"],
                                        status: .forbidden)
        }
        let presented = request.headers[.authorization].flatMap { value -> Substring? in
            let prefix = "bearer "
            guard value.count > prefix.count, value.prefix(prefix.count).lowercased() == prefix else { return nil }
            return value.dropFirst(prefix.count)
        }
        if let presented, Self.constantTimeEqual(Array(presented.utf8), Array(token.utf8)) { return nil }
        var response = SignalingServer.json(["error": "a valid metrics token is required (Authorization: Bearer TOKEN)"], status: .unauthorized)
        response.headers[.wwwAuthenticate] = "Bearer realm=\"sfu\""
        return response
    }

    /// Compares without stopping at the first difference, so the time taken says nothing about
    /// how much of a guess was right.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    /// A Prometheus text-format response.
    public static func exposition(_ text: String) -> Response {
        var headers: HTTPFields = [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"]
        headers[.contentLength] = "\(text.utf8.count)"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
