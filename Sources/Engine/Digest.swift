// Digest: DEBUG DIGEST, a 20-byte fingerprint of the whole dataset.
//
// The construction is Redis's, so a Cairn server and a Redis server holding the
// same data report the same digest (tests compare master and replica this way):
// per key, a digest is built by "mixing" (xor the SHA1 of the input in, then
// replace the digest by its own SHA1) the key, the big-endian type number and
// the value, then xor-ing in the SHA1 of "!!expire!!" when the key has a TTL;
// the SHA1s of the key digests are xor-ed together (order-free), after mixing in the big-endian
// database number once per non-empty database. An empty dataset is 20 zeros.

public struct DatasetDigest {
    public private(set) var bytes = [UInt8](repeating: 0, count: 20)

    public init() {}

    /// Xors the SHA1 of `input` into `digest`.
    public static func xorIn(_ digest: inout [UInt8], _ input: [UInt8]) {
        let h = SHA1.hash(input)
        for j in 0..<20 { digest[j] ^= h[j] }
    }

    /// Xors the SHA1 of `input` into `digest`, then replaces `digest` by its own SHA1.
    public static func mix(_ digest: inout [UInt8], _ input: [UInt8]) {
        xorIn(&digest, input)
        digest = SHA1.hash(digest)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
    }

    /// The digest of one key with its value and TTL presence.
    public static func keyDigest(key: Bytes, value: Value, hasExpire: Bool) -> [UInt8] {
        var d = [UInt8](repeating: 0, count: 20)
        mix(&d, key)
        mix(&d, bigEndian(value.typeNumber))
        switch value {
        case .string(let s): mix(&d, s.bytes)
        case .list(let v): v.mixDigest(into: &d)
        case .hash(let v): v.mixDigest(into: &d)
        case .set(let v): v.mixDigest(into: &d)
        case .zset(let v): v.mixDigest(into: &d)
        case .module(let m):
            // Redis 4.0 xors in the digest callback's sequence digest; nothing without a callback.
            if let x = m.digest { xorIn(&d, x) }
        }
        if hasExpire { xorIn(&d, Array("!!expire!!".utf8)) }
        return d
    }

    /// The digest of everything in `keyspace`.
    public static func of(_ keyspace: Keyspace) -> [UInt8] {
        var final = [UInt8](repeating: 0, count: 20)
        for db in 0..<keyspace.databaseCount where keyspace.keyCount(db) > 0 {
            mix(&final, bigEndian(UInt32(db)))
            for i in keyspace.allIndices(db) {
                let d = keyDigest(key: keyspace.key(db, i), value: keyspace.value(db, i),
                                  hasExpire: keyspace.expireAt(db, i) != nil)
                xorIn(&final, d)
            }
        }
        return final
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
