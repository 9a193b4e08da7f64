// replication-sim: runs the replication simulator (Sources/ReplicationSim)
// over seeds and prints one line per seed.
//
//     replication-sim --seed 17 [--print] [--keep] [--verbose]   one seed, in detail
//     replication-sim --from 1 --count 500                       many seeds, one line each
//
// Contract: per seed, "seed N ok ..." or "seed N FAIL ..." followed by its
// violations (indented), then at the end "totals ..."; exit status 1 when any
// violation was found. A crash ends the process: tools/replication-sim.sh
// notices which seed was running (the one after the last line printed).
import Foundation
import Server
import ReplicationSim

var seed: UInt64? = nil
var from: UInt64 = 1
var count: UInt64 = 1
var printStory = false
var keep = false
var verbose = false
var args = CommandLine.arguments.dropFirst().makeIterator()
while let arg = args.next() {
    switch arg {
    case "--seed": seed = args.next().flatMap { UInt64($0) }
    case "--from": from = args.next().flatMap { UInt64($0) } ?? 1
    case "--count": count = args.next().flatMap { UInt64($0) } ?? 1
    case "--print": printStory = true
    case "--keep": keep = true
    case "--verbose": verbose = true
    default:
        FileHandle.standardError.write("usage: replication-sim [--seed N [--print] [--keep] [--verbose]] [--from S --count C]\n".data(using: .utf8)!)
        exit(2)
    }
}
if let seed { from = seed; count = 1 }

var totals = SimCounters()
var violations = 0
let started = Date()
for s in from..<(from + count) {
    let scenario = Scenario(seed: s)
    if printStory { print(scenario.story) }
    let result = Simulation.run(scenario, logLevel: verbose ? .verbose : .notice, keep: keep, keepOnFailure: seed != nil)
    let c = result.counters
    let summary = "partial=\(c.partialResyncs) full=\(c.fullResyncs) drops=\(c.linkDrops) covered=\(c.coveredDrops) "
        + "restarts=\(c.restarts) failovers=\(c.failovers) master-crashes=\(c.masterCrashes) writes=\(c.writes) checks=\(c.quietChecks)"
    print("seed \(s) \(result.violations.isEmpty ? "ok" : "FAIL") \(summary)")
    for v in result.violations { print("  \(v)") }
    if let dir = result.keptDirectory { print("  kept \(dir)") }
    fflush(stdout)
    violations += result.violations.count
    totals.partialResyncs += c.partialResyncs
    totals.fullResyncs += c.fullResyncs
    totals.linkDrops += c.linkDrops
    totals.coveredDrops += c.coveredDrops
}
print("totals seeds=\(count) violations=\(violations) partial=\(totals.partialResyncs) full=\(totals.fullResyncs) "
    + "drops=\(totals.linkDrops) covered=\(totals.coveredDrops) seconds=\(String(format: "%.1f", Date().timeIntervalSince(started)))")
exit(violations > 0 ? 1 : 0)
