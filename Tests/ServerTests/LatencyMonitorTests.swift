// LatencyMonitorTests: the latency monitor's series rules (Server/LatencyMonitor.swift:
// 4.0's one sample per second, 160 kept, threshold, reset) and LATENCY through the
// dispatcher (Commands/LatencyCommands.swift).
import XCTest
import RESP
import Engine
@testable import Server

final class LatencyMonitorTests: XCTestCase {
    func testOneSamplePerSecondKeepsTheHighestAndTheLatest160() {
        let m = LatencyMonitor()
        m.add("command", milliseconds: 500, now: 1)
        XCTAssertTrue(m.series.isEmpty, "the monitor is off at threshold 0")
        m.threshold = 10
        m.add("command", milliseconds: 9, now: 1)
        XCTAssertTrue(m.series.isEmpty, "under the threshold")
        m.add("command", milliseconds: 20, now: 1)
        m.add("command", milliseconds: 15, now: 1)
        m.add("command", milliseconds: 30, now: 1)
        XCTAssertEqual(m.series["command"]?.samples, [.init(time: 1, milliseconds: 30)])
        for t in 2...200 { m.add("command", milliseconds: Int64(t), now: Int64(t)) }
        let s = m.series["command"]!
        XCTAssertEqual(s.samples.count, LatencyMonitor.historyLength)
        XCTAssertEqual(s.samples.first?.time, 41)
        XCTAssertEqual(s.maximum, 200)
        m.add("expire-cycle", milliseconds: 11, now: 5)
        XCTAssertEqual(m.eventNames, ["command", "expire-cycle"])
        XCTAssertEqual(m.reset(["COMMAND", "nope", "command"]), 1, "reset matches names in any case, once")
        XCTAssertEqual(m.eventNames, ["expire-cycle"])
        XCTAssertEqual(m.reset(nil), 1)
        XCTAssertTrue(m.series.isEmpty)
    }

    func testLatencyCommandsThroughTheDispatcher() {
        let h = Harness()
        XCTAssertEqual(h.run("LATENCY", "LATEST"), .array([]))
        XCTAssertEqual(h.run("CONFIG", "SET", "latency-monitor-threshold", "50"), .ok)
        XCTAssertEqual(h.server.latency.threshold, 50)
        XCTAssertEqual(h.run("DEBUG", "SLEEP", "0.06"), .ok)
        guard case .array(let latest) = h.run("LATENCY", "LATEST"), case .array(let row)? = latest.first,
              row.count == 4, case .integer(let ms) = row[2] else { return XCTFail() }
        XCTAssertEqual(row[0], .bulk(Bytes("command")))
        XCTAssertGreaterThanOrEqual(ms, 60)
        guard case .array(let history) = h.run("LATENCY", "HISTORY", "command") else { return XCTFail() }
        XCTAssertEqual(history.count, 1)
        guard case .bulk(let graph) = h.run("LATENCY", "GRAPH", "command") else { return XCTFail() }
        XCTAssertTrue(graph.text.hasPrefix("command: highest"))
        XCTAssertEqual(h.run("LATENCY", "GRAPH", "nope"), .error("ERR No samples available for event 'nope'"))
        XCTAssertEqual(h.run("LATENCY", "NOPE"), .error("ERR syntax error"))
        XCTAssertEqual(h.run("LATENCY", "RESET"), .integer(1))
        XCTAssertEqual(h.run("CONFIG", "SET", "latency-monitor-threshold", "-1"), .error("ERR Invalid argument '-1' for CONFIG SET 'latency-monitor-threshold'"))
    }
}
