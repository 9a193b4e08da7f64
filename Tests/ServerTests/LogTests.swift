// LogTests: the log's lines are Redis's byte for byte (pid, role letter,
// date, level mark), `loglevel` filters them, swift-log's levels land on
// Redis's, and the line logged just before a fatal exit is in the log file
// (the built cairn-server binary, killed by its own fatal paths).
#if canImport(Glibc)
import Glibc
#endif
import XCTest
import CairnTestSupport
import Logging
import RESP
@testable import Server

final class LogTests: XCTestCase {
    /// The lines in `path`, without their newlines.
    private func lines(_ path: String) -> [String] {
        String(decoding: ConfigFileParser.readFile(path) ?? [], as: UTF8.self)
            .split(separator: "\n").map(String.init)
    }

    /// `pid:role dd Mon yyyy hh:mm:ss.mmm mark message`, as Redis 4.0 writes it.
    private func assertRedisLine(_ line: String, role: Character, mark: Character, message: String,
                                 file: StaticString = #filePath, lineNumber: UInt = #line) {
        let pattern = "^\(getpid()):\(role) [0-3][0-9] [A-Z][a-z]{2} [0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3} "
        let regex = try! Regex(pattern)
        XCTAssertNotNil(line.prefixMatch(of: regex), "bad line: \(line)", file: file, line: lineNumber)
        XCTAssertTrue(line.hasSuffix(" \(mark) \(message)"), "bad line: \(line)", file: file, line: lineNumber)
        XCTAssertEqual(line.count, "\(getpid())".count + 3 + 24 + 3 + message.count, file: file, line: lineNumber)
    }

    func testLinesHaveRedisFormatAndTheRoleLetter() {
        let dir = TempDir()
        defer { dir.remove() }
        let log = ServerLog(level: .notice, path: dir.path + "/cairn.log")
        log.notice("Ready to accept connections")
        log.role = "S"
        log.warning("Connecting to MASTER 127.0.0.1:6379")
        log.flush()
        let got = lines(dir.path + "/cairn.log")
        XCTAssertEqual(got.count, 2)
        guard got.count == 2 else { return }
        assertRedisLine(got[0], role: "M", mark: "*", message: "Ready to accept connections")
        assertRedisLine(got[1], role: "S", mark: "#", message: "Connecting to MASTER 127.0.0.1:6379")
        // The date is today's, in the same format as Redis's (strftime "%d %b %Y").
        let today = String(LogOutput.timestamp().prefix(11))
        XCTAssertTrue(got[1].contains(":S \(today) "), got[1])
    }

    func testLevelsFilterAndMessagesBelowTheLevelAreNotBuilt() {
        let dir = TempDir()
        defer { dir.remove() }
        let log = ServerLog(level: .verbose, path: dir.path + "/cairn.log")
        var built = 0
        func text(_ s: String) -> String { built += 1; return s }
        log.debug(text("d1"))
        log.verbose(text("v1"))
        log.notice(text("n1"))
        log.warning(text("w1"))
        log.level = .warning
        XCTAssertEqual(log.level, .warning)
        log.verbose(text("v2"))
        log.notice(text("n2"))
        log.warning(text("w2"))
        log.level = .debug
        log.debug(text("d3"))
        let got = lines(dir.path + "/cairn.log")
        XCTAssertEqual(got.map { String($0.split(separator: " ").suffix(2).joined(separator: " ")) },
                       ["- v1", "* n1", "# w1", "# w2", ". d3"])
        XCTAssertEqual(built, 5, "messages under the level are not even built")
    }

    func testSwiftLogLevelsMapOntoRedisLevels() {
        for level in LogLevel.allCases { XCTAssertEqual(LogLevel(level.swiftLogLevel), level) }
        let marks = Logger.Level.allCases.map { LogLevel($0).mark }
        XCTAssertEqual(String(marks), "..-*###")  // trace debug info notice warning error critical
        // A plain swift-log Logger over the handler writes the same lines, metadata after the message.
        let dir = TempDir()
        defer { dir.remove() }
        let log = ServerLog(path: dir.path + "/cairn.log")
        var logger = Logger(label: "test") { _ in RedisLineHandler(output: log.output, logLevel: .info) }
        logger[metadataKey: "replica"] = "7"
        logger.info("sync started")
        logger.error("sync failed", metadata: ["code": "5"])
        logger.debug("dropped")
        let got = lines(dir.path + "/cairn.log")
        XCTAssertEqual(got.count, 2)
        guard got.count == 2 else { return }
        assertRedisLine(got[0], role: "M", mark: "-", message: "sync started replica=7")
        assertRedisLine(got[1], role: "M", mark: "#", message: "sync failed code=5 replica=7")
    }

    func testAnUnopenableLogFileFallsBackToStdoutWithAWarning() {
        let log = ServerLog(level: .warning, path: "/nonexistent-cairn-dir/x.log")
        log.warning("still logging")  // to stdout; must not crash
    }

    // MARK: Fatal exits, on the built binary

    private var binary: String {
        (CommandLine.arguments[0].split(separator: "/", omittingEmptySubsequences: false)
            .prefix { !$0.hasSuffix(".xctest") }.joined(separator: "/")) + "/cairn-server"
    }

    func testTheFatalLineOfAFailedStartupLoadIsInTheLogFile() throws {
        guard access(binary, X_OK) == 0 else { return XCTFail("cairn-server not built next to the tests: \(binary)") }
        let dir = TempDir()
        defer { dir.remove() }
        dir.write("dump.rdb", "REDIS0009 this is not an RDB file")
        let server = ChildProcess(binary, ["--port", "\(freePort())", "--bind", "127.0.0.1", "--dir", dir.path,
                                           "--logfile", "cairn.log"], stderrPath: dir.path + "/err")
        XCTAssertEqual(server?.exitStatus(), 1)
        let got = lines(dir.path + "/cairn.log")
        XCTAssertTrue(got.contains { $0.contains(" # Fatal error loading the DB") }, got.joined(separator: "\n"))
        // Redis's closing line is the log's last: no farewell after a failed load.
        XCTAssertTrue(got.last?.contains(" # Internal error in RDB reading function -> ") == true, got.joined(separator: "\n"))
    }

    func testTheFatalLineOfDebugLoadAOFIsInTheLogFileBeforeExit() throws {
        guard access(binary, X_OK) == 0 else { return XCTFail("cairn-server not built next to the tests: \(binary)") }
        let dir = TempDir()
        defer { dir.remove() }
        let port = freePort()
        guard let server = ChildProcess(binary, ["--port", "\(port)", "--bind", "127.0.0.1", "--dir", dir.path,
                                                 "--logfile", "cairn.log", "--appendonly", "yes",
                                                 "--appendfsync", "always"], stderrPath: dir.path + "/err") else {
            return XCTFail("cannot start cairn-server")
        }
        defer { server.stop() }
        let client = try connectWhenReady(port)
        for _ in 0..<500 where (try? client.command("SET", "a", "1")) != .simple("OK") { usleep(10_000) }
        let aof = fopen(dir.path + "/appendonly.aof", "a")!
        fputs("*1\r\n$4\r\nPING\r\n!garbage\r\n", aof)
        fclose(aof)
        _ = try? client.command("DEBUG", "LOADAOF")
        XCTAssertEqual(server.exitStatus(), 1)
        let got = lines(dir.path + "/cairn.log")
        // Cairn's detail, then Redis's line, last.
        XCTAssertTrue(got.dropLast().last?.contains(" # Fatal error loading the AOF for DEBUG LOADAOF") == true,
                      got.joined(separator: "\n"))
        XCTAssertTrue(got.last?.contains(" # Bad file format reading the append only file: make a backup of your AOF file") == true,
                      got.joined(separator: "\n"))
    }
}
