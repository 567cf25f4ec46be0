import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import Signaling

/// `/healthz`, the static files, and the development endpoints (router mode: no socket).
@Suite struct HTTPEndpointTests {
    func body(_ response: TestResponse) -> String {
        String(buffer: response.body)
    }

    func publicFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sig-public-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("img"), withIntermediateDirectories: true)
        try Data("<h1>demo</h1>".utf8).write(to: folder.appendingPathComponent("index.html"))
        try Data("export {}".utf8).write(to: folder.appendingPathComponent("sfu-client.js"))
        try Data("body{}".utf8).write(to: folder.appendingPathComponent("demo.css"))
        try Data("<svg/>".utf8).write(to: folder.appendingPathComponent("img/logo.svg"))
        return folder
    }

    @Test func healthz() async throws {
        let server = try await Fixtures.server(FakeRoomService())
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let json = try JSONValue.parse(Data(body(response).utf8))
                #expect(json["status"] == "ok" && json["sessions"] == 0 && json["uptimeSeconds"]?.integerValue != nil)
            }
        }
    }

    @Test func staticFilesWithContentTypes() async throws {
        let server = try await Fixtures.server(FakeRoomService(), publicDirectory: try publicFolder())
        try await server.makeApplication().test(.router) { client in
            for (path, type, content) in [("/", "text/html; charset=utf-8", "<h1>demo</h1>"),
                                          ("/index.html", "text/html; charset=utf-8", "<h1>demo</h1>"),
                                          ("/sfu-client.js", "text/javascript; charset=utf-8", "export {}"),
                                          ("/demo.css", "text/css; charset=utf-8", "body{}"),
                                          ("/img/logo.svg", "image/svg+xml", "<svg/>")] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.contentType] == type, "\(path)")
                    #expect(body(response) == content, "\(path)")
                }
            }
            try await client.execute(uri: "/sfu-client.js", method: .head) { response in
                #expect(response.status == .ok && body(response).isEmpty)
            }
        }
    }

    @Test func bundledFilesAreServed() async throws {
        let server = try await Fixtures.server(FakeRoomService())
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "text/html; charset=utf-8")
            }
        }
    }

    @Test(arguments: ["/../Package.swift", "/..%2FPackage.swift", "/%2e%2e/Package.swift", "/%2e%2e%2fPackage.swift",
                      "/img/../../Package.swift", "/img/..%2f..%2fPackage.swift", "//etc/passwd", "/%2fetc%2fpasswd",
                      "/..\\Package.swift", "/img", "/img/", "/nope.js", "/index.html%00.js"])
    func traversalAndMissingFilesAreRefused(_ path: String) async throws {
        let server = try await Fixtures.server(FakeRoomService(), publicDirectory: try publicFolder())
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == .notFound || response.status == .badRequest, "\(path)")
                #expect(!body(response).contains("PackageDescription") && !body(response).contains("root:"))
            }
        }
    }

    @Test func devTokenOnlyInDevMode() async throws {
        let dev = try await Fixtures.server(FakeRoomService(), dev: true)
        try await dev.makeApplication().test(.router) { client in
            let token = try await client.execute(uri: "/dev/token?room=r1&identity=alice&name=Alice%20A", method: .get) { response in
                #expect(response.status == .ok)
                let json = try JSONValue.parse(Data(body(response).utf8))
                #expect(json["room"] == "r1" && json["identity"] == "alice")
                return try #require(json["token"]?.stringValue)
            }
            // The token is for the development key, with every grant.
            let claims = try await dev.verifier.verify(token)
            #expect(claims.apiKey == DevelopmentCredentials.key && claims.name == "Alice A" && claims.room == "r1")
            #expect(claims.grants.publish && claims.grants.subscribe && claims.grants.admin)
            try await client.execute(uri: "/dev/token?room=r1", method: .get) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/debug/token-timing", method: .get) { response in
                #expect(response.status == .ok)
                let json = try JSONValue.parse(Data(body(response).utf8))
                #expect(json["count"] == 1 && json["p99Microseconds"]?.integerValue != nil)
            }
        }
        let production = try await Fixtures.server(FakeRoomService(), dev: false)
        try await production.makeApplication().test(.router) { client in
            try await client.execute(uri: "/dev/token?room=r1&identity=alice", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/debug/token-timing", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func plainGetOfTheWebSocketEndpoint() async throws {
        let server = try await Fixtures.server(FakeRoomService())
        try await server.makeApplication().test(.router) { client in
            try await client.execute(uri: "/ws", method: .get) { response in
                #expect(response.status == .upgradeRequired)
            }
        }
    }

    @Test func webSocketURL() {
        #expect(SignalingServer.webSocketURL(publicURL: "https://sfu.example.com/", host: "x") == "wss://sfu.example.com/ws")
        #expect(SignalingServer.webSocketURL(publicURL: "http://10.0.0.1:8080", host: nil) == "ws://10.0.0.1:8080/ws")
        #expect(SignalingServer.webSocketURL(publicURL: nil, host: "localhost:8080") == "ws://localhost:8080/ws")
    }
}
