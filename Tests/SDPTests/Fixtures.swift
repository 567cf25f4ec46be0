import Foundation
import SDP

/// Real offers captured from Chromium and aiortc (see Fixtures/capture_*.py).
enum Fixtures {
    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    }

    static func names(prefix: String = "") -> [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return all.filter { $0.hasSuffix(".sdp") && $0.hasPrefix(prefix) }.sorted()
    }

    static func names(in folder: String) -> [String] {
        let path = directory.appendingPathComponent(folder).path
        return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".sdp") }.sorted()
    }

    static func text(_ name: String) -> String {
        try! String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func bytes(_ path: String) -> [UInt8] {
        Array(try! Data(contentsOf: directory.appendingPathComponent(path)))
    }

    static func offer(_ name: String) throws -> SessionDescription {
        try SessionDescription(parsing: text(name))
    }
}
