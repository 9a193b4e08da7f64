// Tests for Engine/BitOps.swift: bit numbering, offsets, counting and searching,
// BITOP, and bitfield reads, writes and overflow arithmetic.
import XCTest
@testable import Engine

final class BitOpsTests: XCTestCase {
    func testBitOffsets() {
        XCTAssertEqual(parseBitOffset(Bytes("0")), 0)
        XCTAssertEqual(parseBitOffset(Bytes("4294967295")), 4_294_967_295, "last bit of 512 MB")
        XCTAssertNil(parseBitOffset(Bytes("4294967296")))
        XCTAssertNil(parseBitOffset(Bytes("-1")))
        XCTAssertNil(parseBitOffset(Bytes("#1")), "# only for BITFIELD")
        XCTAssertNil(parseBitOffset(Bytes("01")))
        XCTAssertEqual(parseBitOffset(Bytes("#3"), unitBits: 8), 24)
        XCTAssertEqual(parseBitOffset(Bytes("5"), unitBits: 8), 5)
        XCTAssertNil(parseBitOffset(Bytes("#"), unitBits: 8))
        XCTAssertNil(parseBitOffset(Bytes("#-1"), unitBits: 8))
        XCTAssertNil(parseBitOffset(Bytes("#536870912"), unitBits: 8))
        XCTAssertEqual(parseBitOffset(Bytes("#536870911"), unitBits: 8), 4_294_967_288)
        XCTAssertNil(parseBitOffset(Bytes("#4611686018427387904"), unitBits: 8), "product overflow is refused")
    }

    func testGetAndSetBit() {
        var b = Bytes()
        XCTAssertEqual(b.setBit(at: 7, to: true), 0)
        XCTAssertEqual(b, [0x01])
        XCTAssertEqual(b.setBit(at: 7, to: true), 1)
        XCTAssertEqual(b.setBit(at: 0, to: true), 0)
        XCTAssertEqual(b, [0x81])
        XCTAssertEqual(b.setBit(at: 17, to: false), 0)
        XCTAssertEqual(b, [0x81, 0, 0], "grows with zero bytes")
        XCTAssertEqual(b.setBit(at: 0, to: false), 1)
        XCTAssertEqual(b, [0x01, 0, 0])
        XCTAssertEqual(bit(at: 7, in: b), 1)
        XCTAssertEqual(bit(at: 6, in: b), 0)
        XCTAssertEqual(bit(at: 1000, in: b), 0, "past the end reads 0")
        // "12" = 0x31 0x32: bits 2 and 3 of '1' are set.
        XCTAssertEqual(bit(at: 2, in: Bytes("12")), 1)
        XCTAssertEqual(bit(at: 3, in: Bytes("12")), 1)
        XCTAssertEqual(bit(at: 4, in: Bytes("12")), 0)
    }

    func testPopcount() {
        let s = Bytes("foobar")
        XCTAssertEqual(popcount(s, 0..<6), 26)
        XCTAssertEqual(popcount(s, 0..<1), 4)
        XCTAssertEqual(popcount(s, 1..<2), 6)
        XCTAssertEqual(popcount(s, 4..<6), 7)
        let long = Bytes(repeating: 0xFF, count: 1001) + [0x0F]
        XCTAssertEqual(popcount(long, 0..<long.count), 8 * 1001 + 4)
        XCTAssertEqual(popcount(long, 3..<1002), 8 * 998 + 4, "unaligned start, word loop plus tail")
        XCTAssertEqual(popcount(long, 5..<5), 0)
    }

    func testFirstBit() {
        let b: Bytes = [0xFF, 0xF0, 0x00]
        XCTAssertEqual(firstBit(false, in: b, 0..<3), 12)
        XCTAssertEqual(firstBit(true, in: b, 0..<3), 0)
        XCTAssertEqual(firstBit(true, in: b, 2..<3), -1)
        XCTAssertEqual(firstBit(false, in: [0xFF, 0xFF], 0..<2), 16, "no 0: first bit after the range")
        let zeros = Bytes(repeating: 0, count: 17) + [0x01]
        XCTAssertEqual(firstBit(true, in: zeros, 0..<18), 17 * 8 + 7)
        XCTAssertEqual(firstBit(true, in: zeros, 3..<18), 14 * 8 + 7, "relative to the range start")
        XCTAssertEqual(firstBit(false, in: zeros, 0..<18), 0)
        let ones = Bytes(repeating: 0xFF, count: 17) + [0xFE]
        XCTAssertEqual(firstBit(false, in: ones, 1..<18), 16 * 8 + 7)
        XCTAssertEqual(firstBit(false, in: ones, 1..<17), 16 * 8)
    }

    func testBitOperation() {
        let a = Bytes("abc"), b = Bytes("a")
        XCTAssertEqual(bitOperation(.and, [a, b]), [0x61, 0, 0], "a shorter source reads as zero-padded")
        XCTAssertEqual(bitOperation(.or, [a, b]), a)
        XCTAssertEqual(bitOperation(.xor, [a, b, []]), [0, 0x62, 0x63])
        XCTAssertEqual(bitOperation(.not, [a]), [0x9E, 0x9D, 0x9C])
        XCTAssertEqual(bitOperation(.and, [[], []]), [])
        XCTAssertEqual(bitOperation(.or, [[], b]), b, "an empty first source is padded too")
        // Long enough for the word loops, with a ragged tail.
        let x = (0..<37).map { UInt8($0 * 7 & 0xFF) }
        let y = (0..<29).map { UInt8($0 * 13 & 0xFF) }
        let and = (0..<37).map { $0 < 29 ? x[$0] & y[$0] : 0 }
        let or = (0..<37).map { $0 < 29 ? x[$0] | y[$0] : x[$0] }
        let xor = (0..<37).map { $0 < 29 ? x[$0] ^ y[$0] : x[$0] }
        XCTAssertEqual(bitOperation(.and, [x, y]), and)
        XCTAssertEqual(bitOperation(.or, [y, x]), or)
        XCTAssertEqual(bitOperation(.xor, [x, y]), xor)
        XCTAssertEqual(bitOperation(.not, [x]), x.map { ~$0 })
        XCTAssertEqual(BitOperation(name: Bytes("AnD")), .and)
        XCTAssertNil(BitOperation(name: Bytes("nand")))
    }

    func testBitfieldTypes() {
        XCTAssertEqual(BitfieldType(parsing: Bytes("i64")), BitfieldType(signed: true, bits: 64))
        XCTAssertEqual(BitfieldType(parsing: Bytes("u63")), BitfieldType(signed: false, bits: 63))
        XCTAssertNil(BitfieldType(parsing: Bytes("u64")))
        XCTAssertNil(BitfieldType(parsing: Bytes("i65")))
        XCTAssertNil(BitfieldType(parsing: Bytes("i0")))
        XCTAssertNil(BitfieldType(parsing: Bytes("I8")), "the prefix is case-sensitive")
        XCTAssertNil(BitfieldType(parsing: Bytes("i")))
        XCTAssertNil(BitfieldType(parsing: Bytes("u08")))
        let i8 = BitfieldType(signed: true, bits: 8), u8 = BitfieldType(signed: false, bits: 8)
        XCTAssertEqual([i8.min, i8.max, u8.min, u8.max], [-128, 127, 0, 255])
        let i1 = BitfieldType(signed: true, bits: 1), i64 = BitfieldType(signed: true, bits: 64)
        XCTAssertEqual([i1.min, i1.max, i64.min, i64.max], [-1, 0, Int64.min, Int64.max])
        XCTAssertEqual(BitfieldType(signed: false, bits: 63).max, Int64.max)
    }

    func testBitfieldReadWrite() {
        let u8 = BitfieldType(signed: false, bits: 8), i8 = BitfieldType(signed: true, bits: 8)
        let u4 = BitfieldType(signed: false, bits: 4), i64 = BitfieldType(signed: true, bits: 64)
        var b = Bytes()
        b.writeBitfield(-100, offset: 0, type: i8)
        XCTAssertEqual(b, [156])
        XCTAssertEqual(readBitfield(b, offset: 0, type: u8), 156)
        XCTAssertEqual(readBitfield(b, offset: 0, type: i8), -100)
        XCTAssertEqual(readBitfield(b, offset: 4, type: u4), 12)
        XCTAssertEqual(readBitfield(b, offset: 4, type: u8), 0xC0, "bits past the end read as 0")
        b.writeBitfield(0xF, offset: 6, type: u4)
        XCTAssertEqual(b, [0x9F, 0xC0], "an unaligned field spans two bytes")
        var wide = Bytes()
        wide.writeBitfield(Int64.min, offset: 3, type: i64)
        XCTAssertEqual(wide.count, 9)
        XCTAssertEqual(readBitfield(wide, offset: 3, type: i64), Int64.min)
        XCTAssertEqual(readBitfield(wide, offset: 0, type: BitfieldType(signed: false, bits: 4)), 1)
    }

    func testBitfieldOverflow() {
        let i8 = BitfieldType(signed: true, bits: 8), u8 = BitfieldType(signed: false, bits: 8)
        let i64 = BitfieldType(signed: true, bits: 64), u63 = BitfieldType(signed: false, bits: 63)
        // Signed increments.
        XCTAssertEqual(bitfieldIncrement(-100, by: -100, type: i8, overflow: .wrap), 56)
        XCTAssertEqual(bitfieldIncrement(-100, by: -100, type: i8, overflow: .sat), -128)
        XCTAssertNil(bitfieldIncrement(-100, by: -100, type: i8, overflow: .fail))
        XCTAssertEqual(bitfieldIncrement(100, by: 27, type: i8, overflow: .fail), 127)
        XCTAssertEqual(bitfieldIncrement(100, by: Int64.max, type: i8, overflow: .sat), 127, "64-bit sum overflows too")
        XCTAssertEqual(bitfieldIncrement(Int64.max, by: 1, type: i64, overflow: .wrap), Int64.min)
        XCTAssertEqual(bitfieldIncrement(Int64.min, by: -1, type: i64, overflow: .sat), Int64.min)
        XCTAssertNil(bitfieldIncrement(Int64.min, by: Int64.min, type: i64, overflow: .fail))
        // Unsigned increments.
        XCTAssertEqual(bitfieldIncrement(0, by: -1, type: u8, overflow: .wrap), 255)
        XCTAssertEqual(bitfieldIncrement(0, by: -1, type: u8, overflow: .sat), 0)
        XCTAssertEqual(bitfieldIncrement(250, by: 10, type: u8, overflow: .sat), 255)
        XCTAssertEqual(bitfieldIncrement(Int64.max, by: 1, type: u63, overflow: .wrap), 0)
        XCTAssertEqual(bitfieldIncrement(0, by: -1, type: u63, overflow: .wrap), Int64.max)
        XCTAssertEqual(bitfieldIncrement(5, by: Int64.min, type: u63, overflow: .sat), 0)
        // SET: the value itself is checked; a negative value is huge as unsigned.
        XCTAssertEqual(bitfieldSetValue(300, type: u8, overflow: .wrap), 44)
        XCTAssertEqual(bitfieldSetValue(-1, type: u8, overflow: .sat), 255)
        XCTAssertEqual(bitfieldSetValue(300, type: i8, overflow: .sat), 127)
        XCTAssertEqual(bitfieldSetValue(-300, type: i8, overflow: .sat), -128)
        XCTAssertEqual(bitfieldSetValue(200, type: i8, overflow: .wrap), -56)
        XCTAssertNil(bitfieldSetValue(256, type: u8, overflow: .fail))
        XCTAssertEqual(bitfieldSetValue(-5, type: u63, overflow: .sat), Int64.max)
        XCTAssertEqual(bitfieldSetValue(-2, type: BitfieldType(signed: true, bits: 1), overflow: .wrap), 0)
    }
}

final class BitfieldOverflowQuirkTests: XCTestCase {
    /// Redis computes `max - value` with wrapping arithmetic, so SET of Int64.min into a
    /// narrow signed field overflows upwards: SAT stores the maximum, FAIL refuses.
    /// Observed on redis-server 7.0.15: `BITFIELD t OVERFLOW SAT SET i5 0 -9223372036854775808 GET i5 0` -> 0, 15.
    func testSetOfInt64MinSaturatesUpwardsLikeRedis() {
        let i5 = BitfieldType(signed: true, bits: 5)
        XCTAssertEqual(bitfieldSetValue(Int64.min, type: i5, overflow: .sat), 15)
        XCTAssertNil(bitfieldSetValue(Int64.min, type: i5, overflow: .fail))
        XCTAssertEqual(bitfieldSetValue(-17, type: i5, overflow: .sat), -16, "an ordinary underflow still clamps down")
        XCTAssertEqual(bitfieldSetValue(16, type: i5, overflow: .sat), 15)
        XCTAssertEqual(bitfieldSetValue(-16, type: i5, overflow: .fail), -16)
        let i64 = BitfieldType(signed: true, bits: 64)
        XCTAssertEqual(bitfieldSetValue(Int64.min, type: i64, overflow: .fail), Int64.min)
        XCTAssertEqual(bitfieldIncrement(Int64.max, by: 1, type: i64, overflow: .sat), Int64.max)
        XCTAssertEqual(bitfieldIncrement(Int64.min, by: -1, type: i64, overflow: .sat), Int64.min)
        XCTAssertEqual(bitfieldIncrement(15, by: 1, type: i5, overflow: .wrap), -16)
    }
}
