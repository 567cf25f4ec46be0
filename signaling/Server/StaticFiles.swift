import Foundation
import Hummingbird

/// The bundled `Public` files (demo page, browser client), served from memory.
///
/// The folder is read once at start-up into a table of exact paths, so a request can only
/// ever name one of those files: `..`, encoded slashes and symlinks have nothing to resolve
/// against. The files are small (a page, a script); changing them means rebuilding anyway,
/// since they are resources of the binary.
struct StaticFiles: Sendable {
    struct File: Sendable {
        let body: ByteBuffer
        let contentType: String
    }

    /// Request path ("/index.html") to file. "/" maps to index.html.
    let files: [String: File]

    /// Files in a folder over this size are skipped: this is for a page and its script.
    static let maximumFileBytes = 4 << 20

    init(files: [String: File]) {
        self.files = files
    }

    /// Reads every regular file under `directory` (nil: nothing to serve).
    init(directory: URL?) {
        guard let directory else {
            self.files = [:]
            return
        }
        let root = directory.standardizedFileURL.resolvingSymlinksInPath()
        var files: [String: File] = [:]
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey],
                                                        options: [.skipsHiddenFiles])
        while let url = enumerator?.nextObject() as? URL {
            let resolved = url.standardizedFileURL.resolvingSymlinksInPath()
            // Only files really inside the folder (a symlink pointing out is not served).
            guard resolved.path.hasPrefix(root.path + "/") else { continue }
            let values: URLResourceValues
            do {
                values = try resolved.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
            } catch {
                continue  // vanished or unreadable while listing: not served
            }
            guard values.isRegularFile == true, (values.fileSize ?? 0) <= Self.maximumFileBytes,
                  let data = FileManager.default.contents(atPath: resolved.path)
            else { continue }
            let relative = String(resolved.path.dropFirst(root.path.count))
            files[relative] = File(body: ByteBuffer(bytes: data), contentType: Self.contentType(forExtension: resolved.pathExtension))
        }
        if let index = files["/index.html"] { files["/"] = index }
        self.files = files
    }

    /// The response for a GET/HEAD of `path`, or nil when there is no such file.
    func response(for path: String, head: Bool) -> Response? {
        // Percent-decoding only widens what matches the table; it cannot leave it.
        let decoded = path.removingPercentEncoding ?? path
        guard let file = files[decoded] ?? files[path] else { return nil }
        var headers: HTTPFields = [
            .contentType: file.contentType,
            .contentLength: "\(file.body.readableBytes)",
            .cacheControl: "no-cache",
        ]
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: head ? ResponseBody() : ResponseBody(byteBuffer: file.body))
    }

    static func contentType(forExtension pathExtension: String) -> String {
        switch pathExtension.lowercased() {
        case "html", "htm": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json", "map": "application/json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "ico": "image/x-icon"
        case "wasm": "application/wasm"
        case "txt": "text/plain; charset=utf-8"
        case "webmanifest": "application/manifest+json"
        default: "application/octet-stream"
        }
    }
}

/// Serves `StaticFiles` for GET and HEAD before routing; everything else goes on to the router.
struct StaticFilesMiddleware<Context: RequestContext>: RouterMiddleware {
    let files: StaticFiles

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get || request.method == .head,
           let response = files.response(for: request.uri.path, head: request.method == .head) {
            return response
        }
        return try await next(request, context)
    }
}
