// ModuleString: the object behind a RedisModuleString pointer.
//
// A module holds RedisModuleString* as an opaque pointer: here it is the
// address of a ModuleString (an Unmanaged reference). Creating a string
// retains it once; FreeString releases; RetainString adds a reference. The
// bytes live in one malloc'd buffer with a NUL after them, so
// RedisModule_StringPtrLen's pointer is stable and usable as a C string, and
// StringAppendBuffer grows it in place.
#if canImport(Glibc)
import Glibc
#endif
import Engine

public final class ModuleString {
    private(set) var data: UnsafeMutablePointer<UInt8>
    private(set) var count: Int
    private var capacity: Int

    init(_ source: UnsafeRawBufferPointer) {
        count = source.count
        capacity = source.count + 1
        data = malloc(capacity)!.assumingMemoryBound(to: UInt8.self)
        if let base = source.baseAddress, count > 0 { memcpy(data, base, count) }
        data[count] = 0
    }

    init(bytes: Bytes) {
        count = bytes.count
        capacity = bytes.count + 1
        data = malloc(capacity)!.assumingMemoryBound(to: UInt8.self)
        bytes.withUnsafeBytes { if let base = $0.baseAddress, count > 0 { memcpy(data, base, count) } }
        data[count] = 0
    }

    deinit { free(data) }

    public var bytes: Bytes { Bytes(UnsafeBufferPointer(start: data, count: count)) }

    func append(_ extra: UnsafeRawBufferPointer) {
        let needed = count + extra.count + 1
        if needed > capacity {
            capacity = max(needed, capacity * 2)
            data = realloc(data, capacity)!.assumingMemoryBound(to: UInt8.self)
        }
        if let base = extra.baseAddress, extra.count > 0 { memcpy(data + count, base, extra.count) }
        count += extra.count
        data[count] = 0
    }

    // MARK: the opaque pointer

    /// A new +1 reference as the pointer modules hold.
    func retainedPointer() -> UnsafeMutableRawPointer { Unmanaged.passRetained(self).toOpaque() }

    static func from(_ p: UnsafeRawPointer) -> ModuleString {
        Unmanaged<ModuleString>.fromOpaque(p).takeUnretainedValue()
    }
}

extension ModuleString {
    /// Redis's string2ll rules: no spaces, no leading '+', no leading zeros.
    var int64: Int64? { bytes.parseInt64() }

    /// getDoubleFromObject's rules, as RM_StringToDouble applies them: the whole string is
    /// the number, no leading space, no overflow, not NaN.
    var double: Double? {
        guard count > 0, isspace(Int32(data[0])) == 0 else { return nil }
        return data.withMemoryRebound(to: CChar.self, capacity: count + 1) { p -> Double? in
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = strtod(p, &end)
            guard end == p + count, !v.isNaN else { return nil }
            if errno == ERANGE && (v.isInfinite || v == 0) { return nil }
            return v
        }
    }
}
