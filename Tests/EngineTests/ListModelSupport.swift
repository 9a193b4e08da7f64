// ListModelSupport: random list operations checked against an array model, shared
// by the quicklist tests (each fill) and the compression tests (each depth).
//
// Contract: `runListModel` replays the same operations for the same seed; every
// step compares the count, reads compare elements, and every 25 steps
// `isConsistent` and the caller's `check` run. The tricky bit: LREM's expected
// positions are computed on the model from the side the limit's sign names.
import XCTest
import CairnTestSupport
@testable import Engine

/// Runs `steps` random pushes, pops, LSET, LINSERT, LREM, LTRIM and reads on a fresh list and a model.
func runListModel(fill: Int, depth: Int, seed: UInt64, steps: Int = 3000,
                  value: (inout SplitMix64) -> Bytes, check: (ListValue, Int) -> Void = { _, _ in },
                  file: StaticString = #filePath, line: UInt = #line) -> ListValue {
    var rng = SplitMix64(seed: seed)
    var l = ListValue()
    var model: [Bytes] = []
    let tag = "fill \(fill) depth \(depth)"
    for step in 0..<steps {
        let v = value(&rng)
        switch rng.next() % 12 {
        case 0, 1: l.push(v, atHead: true, fill: fill, depth: depth); model.insert(v, at: 0)
        case 2, 3: l.push(v, atHead: false, fill: fill, depth: depth); model.append(v)
        case 4: XCTAssertEqual(l.pop(atHead: true), model.isEmpty ? nil : model.removeFirst(), file: file, line: line)
        case 5: XCTAssertEqual(l.pop(atHead: false), model.popLast(), file: file, line: line)
        case 6:
            if !model.isEmpty {
                let i = Int(rng.next() % UInt64(model.count))
                XCTAssertTrue(l.replace(at: i, with: v), file: file, line: line)
                model[i] = v
            }
        case 7:
            if !model.isEmpty {
                let pivot = model[Int(rng.next() % UInt64(model.count))]
                let after = rng.next() % 2 == 0
                XCTAssertTrue(l.insert(v, pivot: pivot, after: after, fill: fill, depth: depth), file: file, line: line)
                let at = model.firstIndex(of: pivot)!
                model.insert(v, at: after ? at + 1 : at)
            }
        case 8:
            if !model.isEmpty {
                let target = model[Int(rng.next() % UInt64(model.count))]
                let limit = Int(rng.next() % 5) - 2
                let removed = l.remove(target, limit: limit)
                var positions = model.indices.filter { model[$0] == target }
                if limit < 0 { positions.reverse() }
                if limit != 0 { positions = Array(positions.prefix(abs(limit))) }
                XCTAssertEqual(removed, positions.count, file: file, line: line)
                for i in positions.sorted(by: >) { model.remove(at: i) }
            }
        case 9:
            if rng.next() % 8 == 0 {
                let front = Int(rng.next() % 4), back = Int(rng.next() % 4)
                l.trim(front: front, back: back)
                model.removeFirst(min(front, model.count))
                model.removeLast(min(back, model.count))
            }
        case 10:
            if !model.isEmpty {
                let i = Int(rng.next() % UInt64(model.count))
                XCTAssertEqual(l.element(at: i), model[i], file: file, line: line)
            }
        default:
            let start = Int(rng.next() % UInt64(model.count + 1))
            let n = Int(rng.next() % 20)
            var got: [Bytes] = []
            l.forEach(from: start, count: n) { got.append($0.bytesValue) }
            XCTAssertEqual(got, Array(model[start..<min(start + n, model.count)]), file: file, line: line)
        }
        XCTAssertEqual(l.count, model.count, "\(tag) step \(step)", file: file, line: line)
        if step % 25 == 0 {
            XCTAssertTrue(l.isConsistent, "\(tag) step \(step)", file: file, line: line)
            check(l, step)
        }
    }
    XCTAssertEqual(l.elements, model, tag, file: file, line: line)
    XCTAssertTrue(l.isConsistent, tag, file: file, line: line)
    return l
}
