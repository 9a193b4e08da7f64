// RandomInteropTests: random datasets (seeded) crossing every encoding
// threshold, written by Cairn, loaded by redis-server 7.0 (DEBUG RELOAD
// NOSAVE), saved again by it and read back: same data. Redis 7.0 deep-checks
// ziplists and intsets on load, so this exercises the compact encoders hard.
import XCTest
import Foundation
import Engine
import CairnTestSupport
@testable import RDB

func randomBytes(_ rng: inout SplitMix64) -> Bytes {
    switch Int.random(in: 0..<10, using: &rng) {
    case 0: return bytesOf(Int64.random(in: -20...20, using: &rng))
    case 1: return bytesOf(Int64.random(in: Int64.min...Int64.max, using: &rng))
    case 2: return bytesOf(Int64.random(in: -70000...70000, using: &rng))
    case 3: return Bytes("0\(Int.random(in: 0...99, using: &rng))")
    case 4: return Bytes(repeating: UInt8.random(in: 97...99, using: &rng), count: Int.random(in: 20...400, using: &rng))
    case 5: return (0..<Int.random(in: 250...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    case 6 where Int.random(in: 0..<20, using: &rng) == 0:
        return (0..<20000).map { UInt8(truncatingIfNeeded: $0 % 251) }
    default: return (0..<Int.random(in: 0...30, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}

func randomDataset(seed: UInt64) -> [RDBEntry] {
    var rng = SplitMix64(seed: seed)
    var out: [RDBEntry] = []
    for db in 0..<3 {
        var used = Set<Bytes>()
        for i in 0..<40 {
            var key = randomBytes(&rng) + bytesOf(Int64(i))
            if used.contains(key) { key += [0x2A] }
            used.insert(key)
            let big = Int.random(in: 0..<4, using: &rng) == 0
            let n = big ? Int.random(in: 100...700, using: &rng) : Int.random(in: 1...20, using: &rng)
            func unique(_ ints: Bool) -> [Bytes] {
                var s = Set<Bytes>()
                while s.count < n { s.insert(ints ? bytesOf(Int64.random(in: -100000...100000, using: &rng)) : randomBytes(&rng)) }
                return Array(s)
            }
            let value: RDBValue
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: value = .string(randomBytes(&rng))
            case 1: value = .list((0..<n).map { _ in randomBytes(&rng) })
            case 2: value = .set(unique(Bool.random(using: &rng)))
            case 3:
                value = .zset(unique(false).map { m in
                    let scores: [Double] = [Double(Int.random(in: -5...5, using: &rng)), Double.random(in: -1e6...1e6, using: &rng), .infinity, -.infinity, 1e300, 0.1]
                    return ZMember(m, scores[Int.random(in: 0..<scores.count, using: &rng)])
                })
            case 4: value = .hash(unique(false).map { HashField($0, randomBytes(&rng)) })
            default: value = .list(unique(true))
            }
            let exp: Int64? = Int.random(in: 0..<3, using: &rng) == 0 ? 4_102_444_800_000 + Int64(i) : nil
            out.append(RDBEntry(db: db, key: key, value: value, expireMs: exp))
        }
    }
    return out
}

final class RandomInteropTests: XCTestCase {
    func testRandomDatasetsLoadInRedisServer() throws {
        let tmp = TempDir(prefix: "rdbr")
        defer { tmp.remove() }
        let dir = URL(fileURLWithPath: tmp.path)
        let file = dir.appendingPathComponent("r.rdb")
        guard let redis = RedisServer(directory: dir.path, extra: ["--dbfilename", "r.rdb", "--enable-debug-command", "yes"]) else {
            return XCTFail("redis-server (Debian's 7.0) is a test peer and must be installed")
        }
        defer { redis.stop() }
        let port = redis.port
        for seed in TestSeed.seeds(1...6) {
            let data = randomDataset(seed: seed)
            let bytes = try writeRDB(data, compression: seed % 2 == 0)
            try Data(bytes).write(to: file)
            let check = try runTool("/usr/bin/redis-check-rdb", [file.path])
            XCTAssertEqual(check.status, 0, "\(TestSeed.describe(seed)): " + check.output)
            let reload = try runTool("/usr/bin/redis-cli", ["-p", "\(port)", "debug", "reload", "nosave"])
            XCTAssertEqual(reload.output.trimmingCharacters(in: .whitespacesAndNewlines), "OK", TestSeed.describe(seed))
            XCTAssertEqual(try runTool("/usr/bin/redis-cli", ["-p", "\(port)", "save"]).output.trimmingCharacters(in: .whitespacesAndNewlines), "OK")
            let (_, _, back) = try readAll(Array(try Data(contentsOf: file)))
            assertSameDataset(back, data, TestSeed.describe(seed))
        }
    }
}
