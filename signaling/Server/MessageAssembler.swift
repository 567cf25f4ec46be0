import Hummingbird
import HummingbirdWebSocket

/// Joins the frames of one WebSocket message (RFC 6455 5.4, fragmentation) and enforces the
/// message size limit over all of them, so that a message split into small frames is held to
/// the same limit as one big frame.
struct MessageAssembler {
    enum Outcome: Equatable {
        /// More frames to come.
        case incomplete
        case text(ByteBuffer)
        case binary
        case tooLarge
        /// A continuation without a start, or a new message inside a fragmented one: RFC 6455
        /// 5.4 says to fail the connection.
        case protocolError
    }

    /// Raised once the session has joined (SignalingLimits.maxJoinedMessageBytes).
    var limit: Int
    private var buffer: ByteBuffer?
    private var isText = true

    init(limit: Int) {
        self.limit = limit
    }

    mutating func append(_ frame: WebSocketDataFrame) -> Outcome {
        var data = frame.data
        switch frame.opcode {
        case .text, .binary:
            guard buffer == nil else { return .protocolError }
            isText = frame.opcode == .text
            guard data.readableBytes <= limit else { return .tooLarge }
            if frame.fin { return isText ? .text(data) : .binary }
            buffer = data
            return .incomplete
        case .continuation:
            guard var pending = buffer else { return .protocolError }
            guard pending.readableBytes + data.readableBytes <= limit else {
                buffer = nil
                return .tooLarge
            }
            pending.writeBuffer(&data)
            if frame.fin {
                buffer = nil
                return isText ? .text(pending) : .binary
            }
            buffer = pending
            return .incomplete
        }
    }
}
