import Foundation
import Testing
@testable import SFUCommand

@Suite("sfu load: the report")
struct LoadReportTests {
    @Test("nearest-rank percentiles; empty input has none")
    func percentiles() {
        let values = (1...100).map(Double.init)
        let p = LoadReport.Percentiles(values.shuffled())
        #expect(p.count == 100 && p.p50 == 50 && p.p95 == 95 && p.p99 == 99 && p.max == 100)
        let one = LoadReport.Percentiles([7])
        #expect(one.p50 == 7 && one.p99 == 7)
        let none = LoadReport.Percentiles([])
        #expect(none.count == 0 && none.p50 == nil && none.max == nil)
        #expect(none.text.contains("p50 -"))
    }

    @Test("joins, failures, loss over subscribers only, errors counted by message")
    func aggregation() {
        var publisher = ParticipantOutcome(room: "r", identity: "publisher", publishes: true)
        publisher.joined = true
        publisher.completed = true
        publisher.joinMilliseconds = 10
        var good = ParticipantOutcome(room: "r", identity: "subscriber-0", publishes: false)
        good.joined = true
        good.completed = true
        good.joinMilliseconds = 20
        good.firstMediaMilliseconds = 100
        good.video = .init(packets: 990, bytes: 1_000_000, expected: 1000, lost: 10, jitterMilliseconds: 0.5)
        good.audio = .init(packets: 500, bytes: 50_000, expected: 500, lost: 0, jitterMilliseconds: 1)
        good.receivingSeconds = 10
        good.latencyMicroseconds = [1000, 2000, 3000]
        var failed = ParticipantOutcome(room: "r", identity: "subscriber-1", publishes: false)
        failed.error = "error room-full: full"
        let report = LoadReport(scenario: "room", url: "ws://x/ws", durationSeconds: 10, outcomes: [publisher, good, failed], interrupted: nil)
        #expect(report.participants == 3 && report.joined == 2 && report.failed == 1)
        #expect(report.packetsExpected == 1500 && report.packetsLost == 10)
        #expect(abs(report.lossPercent - 100.0 * 10 / 1500) < 1e-9)
        #expect(report.latencyMilliseconds.count == 3 && report.latencyMilliseconds.p50 == 2)
        #expect(report.errors == ["error room-full: full": 1])
        #expect(abs(good.receivedBitsPerSecond - 1_050_000 * 8 / 10) < 1e-6)
        #expect(report.firstMediaMilliseconds.count == 1)
        #expect(report.text.contains("joined 2, with errors 1") && report.text.contains("error ×1: error room-full: full"))
        #expect(report.rejoinMilliseconds.count == 0 && !report.text.contains("rejoin"))
    }
}

@Suite("sfu load: the synthetic video stamp")
struct SyntheticVideoStampTests {
    @Test("the send time is read back from a stamped payload and nothing else")
    func stamp() {
        var payload = [UInt8](repeating: 0x5A, count: 40)
        payload[0] = 0x10
        payload.replaceSubrange(1..<5, with: Array("SFUL".utf8))
        let time: Int64 = 1_795_000_000_123_456_789
        withUnsafeBytes(of: time.bigEndian) { payload.replaceSubrange(5..<13, with: $0) }
        #expect(payload.withUnsafeBytes { SyntheticVideoSource.sendTime(in: $0) } == time)
        var other = payload
        other[2] = 0
        #expect(other.withUnsafeBytes { SyntheticVideoSource.sendTime(in: $0) } == nil)
        #expect(Array(payload.prefix(10)).withUnsafeBytes { SyntheticVideoSource.sendTime(in: $0) } == nil)
    }
}
