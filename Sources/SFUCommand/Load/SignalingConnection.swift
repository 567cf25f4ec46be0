import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import Signaling
import Synchronization

/// One load participant's WebSocket to the room protocol (docs/signaling.md): messages out
/// through `send`, messages in through `messages`, as `JSONValue` objects. The socket runs in its
/// own task until `close()`, the server closing, or a failure (`messages` then ends).
final class SignalingConnection: Sendable {
    let messages: AsyncStream<JSONValue>
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<Void, Never>
    private let failure = Failure()

    private final class Failure: Sendable {
        let description = Mutex<String?>(nil)
    }

    /// `subprotocol`: the Sec-WebSocket-Protocol to ask for (Janus speaks "janus-protocol").
    init(url: String, subprotocol: String? = nil, logger: Logger) {
        let (messages, incoming) = AsyncStream.makeStream(of: JSONValue.self)
        let (outbound, outgoing) = AsyncStream.makeStream(of: String.self)
        self.messages = messages
        self.outgoing = outgoing
        let failure = self.failure
        task = Task {
            do {
                // A `joined` in a room of hundreds lists them all: far past the client's default
                // 16 KB frame limit, over which it closes the socket without a word.
                var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20)
                if let subprotocol, let name = HTTPField.Name("Sec-WebSocket-Protocol") { configuration.additionalHeaders[name] = subprotocol }
                let close = try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, writer, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await text in outbound { try await writer.write(.text(text)) }
                            // Our close (after `leave`); not when the server's side ended first
                            // (cancelled below), which would wait for a close frame that never comes.
                            if !Task.isCancelled { try await writer.close(.normalClosure, reason: nil) }
                        }
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            guard case .text(let text) = message, let value = try? JSONValue.parse(Data(text.utf8)) else { continue }
                            incoming.yield(value)
                        }
                        group.cancelAll()
                    }
                }
                if let close {
                    failure.description.withLock { $0 = "closed by the server (\(close.closeCode)\(close.reason.map { ": \($0)" } ?? ""))" }
                }
            } catch {
                failure.description.withLock { $0 = "\(error)" }
            }
            incoming.finish()
        }
    }

    /// Why the connection ended, when it failed.
    var failureDescription: String? { failure.description.withLock { $0 } }

    func send(_ message: JSONValue) {
        outgoing.yield(message.jsonText())
    }

    /// Closes the socket (after what was sent) and waits for it to end.
    func close() async {
        outgoing.finish()
        await task.value
    }

    /// Cuts the connection at once (a retry storm's drop).
    func abort() async {
        task.cancel()
        outgoing.finish()
        await task.value
    }
}
