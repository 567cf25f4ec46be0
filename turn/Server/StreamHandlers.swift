import NIOCore
import STUN

/// Splits a TCP or TLS byte stream into STUN messages and ChannelData messages (RFC 8656 12.5:
/// ChannelData padded to 4 bytes over streams; RFC 8489 6.2.2 STUN framing by its length field).
struct StreamFramer: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    /// Larger than any message a client needs; a peer that claims more is closed.
    static let maximumFrame = 65_535 + 20

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let length16 = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return .needMoreData }
        let length = Int(length16)
        let frameLength: Int
        let consumed: Int
        switch first >> 6 {
        case 0:
            frameLength = STUNMessage.headerLength + length
            consumed = frameLength
        case 1:
            frameLength = ChannelData.headerLength + length
            consumed = ChannelData.streamLength(dataLength: length)
        default:
            throw StreamFramingError.notTURN(first)
        }
        guard buffer.readableBytes >= consumed else { return .needMoreData }
        let frame = buffer.getSlice(at: buffer.readerIndex, length: frameLength)!
        buffer.moveReaderIndex(forwardBy: consumed)
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }
}

enum StreamFramingError: Error, CustomStringConvertible {
    case notTURN(UInt8)
    var description: String {
        switch self {
        case .notTURN(let byte): "first byte 0x\(String(byte, radix: 16)) is neither STUN nor ChannelData"
        }
    }
}

/// One TCP or TLS client connection on its NIO event loop: what it frames goes to its relay
/// worker, once per read batch; at most one allocation, gone when the connection is.
final class StreamConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let worker: RelayWorker
    private let serverAddress: STUNTransportAddress
    private var client: StreamClient?
    private var frames: [ByteBuffer] = []

    init(worker: RelayWorker, serverAddress: STUNTransportAddress) {
        self.worker = worker
        self.serverAddress = serverAddress
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let remote = context.channel.remoteAddress, let address = STUNTransportAddress(remote) else {
            context.close(promise: nil)
            return
        }
        let client = StreamClient(channel: context.channel, clientAddress: address, serverAddress: serverAddress)
        self.client = client
        if !worker.execute({ [worker] in worker.loop.streamOpened(client) }) { context.close(promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        frames.append(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard let client, !frames.isEmpty else { return }
        let batch = frames
        frames.removeAll(keepingCapacity: true)
        worker.execute { [worker] in worker.loop.streamFrames(batch, from: client) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let client { worker.execute { [worker] in worker.loop.streamClosed(client) } }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        worker.loop.state.logger.debug("stream closed on error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
