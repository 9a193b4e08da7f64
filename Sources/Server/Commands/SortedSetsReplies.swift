// SortedSetsReplies: how sorted-set replies are written: members with scores as
// RESP bulk strings, scores as Redis formats them ("%.17g", "inf", "-inf").
//
// Contract: a range reply is built in one local byte array and handed to the
// client's output in one write; members are read in place from the set.
//
// The tricky bit: cost. Each ByteBuffer call pays an exclusivity check, and a
// printf through Swift's withVaList pays dynamic casts, both far more than the
// formatting itself; so integral scores below 10^15 (whose %.17g text is their
// digits) are written directly, and the others through glibc's non-variadic
// strfromd (found with dlsym; vsnprintf when absent).
import Engine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Call {
    /// A score as Redis replies it: "%.17g", "inf", "-inf".
    func bulkScore(_ score: Double) {
        var out: [UInt8] = []
        appendBulkScore(score, to: &out)
        client.output.writeBytes(out)
    }

    /// Writes the entries at `ranks` of `z` as a flat array of members, each followed
    /// by its score when `withScores`. The reply is built in one local buffer and
    /// handed to the output in one write (each ByteBuffer call costs an access check).
    func replyRanks(_ z: SortedSetValue, _ ranks: Range<Int>, reverse: Bool, withScores: Bool) {
        var out: [UInt8] = []
        out.reserveCapacity(16 + ranks.count * (withScores ? 48 : 24))
        out.append(UInt8(ascii: "*"))
        appendDecimal(Int64(withScores ? ranks.count * 2 : ranks.count), to: &out)
        out.append(13)
        out.append(10)
        z.forEach(ranks: ranks, reverse: reverse) { member, score in
            appendBulk(member, to: &out)
            if withScores { appendBulkScore(score, to: &out) }
        }
        client.output.writeBytes(out)
    }

    /// Writes `entries` as a flat array of members, with scores after each when `withScores`.
    func replyEntries(_ entries: [SortedSetEntry], withScores: Bool) {
        var out: [UInt8] = []
        out.append(UInt8(ascii: "*"))
        appendDecimal(Int64(withScores ? entries.count * 2 : entries.count), to: &out)
        out.append(13)
        out.append(10)
        for e in entries {
            e.member.withUnsafeBytes { appendBulk($0, to: &out) }
            if withScores { appendBulkScore(e.score, to: &out) }
        }
        client.output.writeBytes(out)
    }
}

/// Appends the decimal digits of `v`.
@inline(__always) private func appendDecimal(_ v: Int64, to out: inout [UInt8]) {
    if v < 0 {
        out.append(UInt8(ascii: "-"))
        if v == Int64.min {
            out.append(contentsOf: Array("9223372036854775808".utf8))
            return
        }
    }
    var n = v.magnitude
    var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                 UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    var count = 0
    withUnsafeMutableBytes(of: &digits) { d in
        repeat {
            d[count] = UInt8(n % 10) + 48
            n /= 10
            count += 1
        } while n > 0
        while count > 0 {
            count -= 1
            out.append(d[count])
        }
    }
}

/// Appends a RESP bulk string.
@inline(__always) private func appendBulk(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "$"))
    appendDecimal(Int64(bytes.count), to: &out)
    out.append(13)
    out.append(10)
    out.append(contentsOf: bytes)
    out.append(13)
    out.append(10)
}

/// Appends a score as a RESP bulk string ("%.17g", "inf", "-inf"). Integral scores
/// below 10^15, whose %.17g text is their decimal digits, skip printf.
private func appendBulkScore(_ score: Double, to out: inout [UInt8]) {
    if score == score.rounded(.towardZero) && abs(score) < 1e15 && !(score == 0 && score.sign == .minus) {
        let v = Int64(score)
        out.append(UInt8(ascii: "$"))
        appendDecimal(Int64(decimalLength(v)), to: &out)
        out.append(13)
        out.append(10)
        appendDecimal(v, to: &out)
    } else if score.isInfinite {
        out.append(contentsOf: score > 0 ? [36, 51, 13, 10, 105, 110, 102] : [36, 52, 13, 10, 45, 105, 110, 102])
    } else {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 40) { buf in
            let n: Int
            if let strfromd = cStrfromd {
                n = Int(strfromd(buf.baseAddress, 40, "%.17g", score))
            } else {
                n = Int(withVaList([score]) { vsnprintf(buf.baseAddress!, 40, "%.17g", $0) })
            }
            out.append(UInt8(ascii: "$"))
            appendDecimal(Int64(n), to: &out)
            out.append(13)
            out.append(10)
            out.append(contentsOf: UnsafeRawBufferPointer(start: buf.baseAddress!, count: n))
        }
    }
    out.append(13)
    out.append(10)
}

/// glibc's strfromd (C23; not in Swift's Glibc module): printf's "%.17g" without a
/// variadic call, whose Swift bridge (withVaList) costs more than the formatting.
private let cStrfromd: (@convention(c) (UnsafeMutablePointer<CChar>?, Int, UnsafePointer<CChar>?, Double) -> Int32)? = {
    guard let symbol = dlsym(nil, "strfromd") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<CChar>?, Int, UnsafePointer<CChar>?, Double) -> Int32).self)
}()
