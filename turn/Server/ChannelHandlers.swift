import NIOCore
import STUN

/// A UDP listening socket (one per address per event loop, SO_REUSEPORT): STUN requests and
/// indications, and ChannelData from clients (RFC 8656 12.6; RFC 7983 first-byte demultiplexing).
final class DatagramListenerHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let loop: TURNLoop
    /// The listening address; its port is the kernel's choice when 0 was asked, known once bound.
    private var serverAddress: STUNTransportAddress
    private var listener: ObjectIdentifier?

    init(loop: TURNLoop, serverAddress: STUNTransportAddress) {
        self.loop = loop
        self.serverAddress = serverAddress
    }

    func handlerAdded(context: ChannelHandlerContext) {
        listener = ObjectIdentifier(context.channel)
    }

    func channelActive(context: ChannelHandlerContext) {
        if let bound = context.channel.localAddress.flatMap(STUNTransportAddress.init) { serverAddress = bound }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let buffer = envelope.data
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let client = STUNTransportAddress(envelope.remoteAddress), let listener else { return }
        let key = AllocationKey.datagram(listener: listener, client: client)
        if ChannelData.isChannelData(firstByte: first) {
            loop.relayChannelData(buffer, key: key)
        } else if first & 0xC0 == 0 {
            let endpoint = ClientEndpoint(sink: .datagram(listener: context.channel, client: envelope.remoteAddress),
                                          clientAddress: client, serverAddress: serverAddress, key: key)
            loop.handleSTUN(Array(buffer.readableBytesView), from: endpoint)
        } else {
            loop.counters.dropped += 1
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        loop.flushRelays()
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // ICMP errors surface as read errors on unconnected UDP sockets (ECONNREFUSED): not fatal.
        loop.state.logger.debug("listener error", metadata: ["error": "\(error)"])
    }
}

/// A relay socket: datagrams from peers to the client (RFC 8656 11.3, 12.7).
final class RelayHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let loop: TURNLoop
    private let allocation: Allocation

    init(loop: TURNLoop, allocation: Allocation) {
        self.loop = loop
        self.allocation = allocation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        loop.relayFromPeer(unwrapInboundIn(data), allocation: allocation)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        loop.flushClientSocketAtEndOfTick(allocation.sink.channel)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A peer's ICMP port unreachable comes back as ECONNREFUSED on the next read: ignore it.
    }
}

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

/// One TCP or TLS client connection: at most one allocation, gone when the connection is.
final class StreamConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let loop: TURNLoop
    private let serverAddress: STUNTransportAddress
    private var endpoint: ClientEndpoint?
    private var idleTimeout: Scheduled<Void>?
    /// A connection that has not allocated within this long is closed (coturn does the same), so
    /// idle sockets cannot pile up.
    static let allocateWithin: TimeAmount = .seconds(60)

    init(loop: TURNLoop, serverAddress: STUNTransportAddress) {
        self.loop = loop
        self.serverAddress = serverAddress
    }

    func channelActive(context: ChannelHandlerContext) {
        guard let remote = context.channel.remoteAddress, let client = STUNTransportAddress(remote) else {
            context.close(promise: nil)
            return
        }
        endpoint = ClientEndpoint(sink: .stream(connection: context.channel), clientAddress: client,
                                  serverAddress: serverAddress, key: .stream(connection: ObjectIdentifier(context.channel)))
        let channel = context.channel
        let loop = self.loop
        let key = endpoint!.key
        idleTimeout = context.eventLoop.scheduleTask(in: Self.allocateWithin) {
            if loop.allocations[key] == nil { channel.close(promise: nil) }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let endpoint else { return }
        let frame = unwrapInboundIn(data)
        guard let first = frame.getInteger(at: frame.readerIndex, as: UInt8.self) else { return }
        if ChannelData.isChannelData(firstByte: first) {
            loop.relayChannelData(frame, key: endpoint.key)
        } else {
            loop.handleSTUN(Array(frame.readableBytesView), from: endpoint)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        loop.flushRelays()
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimeout?.cancel()
        if let endpoint { loop.connectionClosed(endpoint.key) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        loop.state.logger.debug("stream closed on error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
