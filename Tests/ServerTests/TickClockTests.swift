// TickClockTests: the counter-based clock agrees with clock_gettime once calibrated,
// and reads the system clock until then or where it is told not to use the counter.
import XCTest
import Engine
@testable import Server
#if canImport(Glibc)
import Glibc
#endif

final class TickClockTests: XCTestCase {
    func testUncalibratedReadsTheSystemClock() {
        var clock = TickClock(useCounter: true)
        XCTAssertFalse(clock.readsCounter)
        clock.calibrate()  // too soon after start-up to measure a rate
        XCTAssertFalse(clock.readsCounter)
        let before = monotonicNanoseconds()
        let reading = clock.now()
        XCTAssertGreaterThanOrEqual(reading, before)
        XCTAssertLessThanOrEqual(reading, monotonicNanoseconds())
    }

    func testWithoutTheCounterItNeverCalibrates() {
        var clock = TickClock(useCounter: false)
        usleep(60_000)
        clock.calibrate()
        XCTAssertFalse(clock.readsCounter)
    }

    func testCalibratedCounterTracksTheSystemClock() throws {
        var clock = TickClock(useCounter: true)
        usleep(60_000)
        clock.calibrate()
        #if arch(x86_64)
        XCTAssertTrue(clock.readsCounter)
        #endif
        for _ in 0..<20 {
            let system = Int64(monotonicNanoseconds())
            let counter = Int64(clock.now())
            XCTAssertLessThan(abs(counter - system), 1_000_000, "the counter strays from clock_gettime")
            usleep(5_000)
        }
        let start = clock.now()
        usleep(20_000)
        let elapsed = clock.elapsed(since: start)
        XCTAssertGreaterThanOrEqual(elapsed, 19_000_000)
        XCTAssertLessThan(elapsed, 200_000_000)
        // A later start than now gives no elapsed time rather than a wrapped one.
        XCTAssertEqual(clock.elapsed(since: clock.now() + 1_000_000_000), 0)
        clock.calibrate()
        #if arch(x86_64)
        XCTAssertTrue(clock.readsCounter, "a second calibration found the counter off")
        #endif
    }
}
