import Foundation

/// Writes one JSON object per line to stdout, flushed at once (a driver waits on each line).
enum JSONLines {
    static func emit(_ object: [String: Any]) {
        guard JSONSerialization.isValidJSONObject(object),
            var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else {
            StandardStream.error.write("probe: could not encode \(object)\n")
            return
        }
        data.append(0x0A)
        StandardStream.output.write(data)
    }
}
