// Call: one command being executed, with the reply helpers every handler uses.
//
// Contract for a handler: read `argv`, use the keyspace through `ks` and `db`,
// write exactly one reply (or a deliberate none, e.g. QUIT's "+OK" then close).
// A write that changes the dataset bumps `ks.dirty`; the dispatcher then
// propagates `argv` as is, unless the handler calls `propagate(as:)` with the
// deterministic form (EXPIRE -> PEXPIREAT and so on, DESIGN.md step 3).
import NIOCore
import RESP
import Engine
import ChangeStream

public struct Call {
    public let server: Server
    public let client: Client
    public let argv: [Bytes]

    public var ks: Keyspace { server.keyspace }
    public var db: Int { client.db }

    // MARK: replies

    @inlinable public func ok() { client.output.writeStaticString("+OK\r\n") }
    public func status(_ s: String) { client.output.writeSimpleString(s) }
    public func error(_ message: String) {
        server.stats.errorReplies += 1
        client.output.writeError(message)
    }
    @inlinable public func integer(_ v: Int64) { client.output.writeIntegerReply(v) }
    @inlinable public func integer(_ v: Int) { client.output.writeIntegerReply(Int64(v)) }
    @inlinable public func bulk(_ b: Bytes) { client.output.writeBulk(b) }
    public func bulk(_ s: String) { client.output.writeBulk(s) }
    @inlinable public func null() { client.output.writeNullBulk() }
    public func nullArray() { client.output.writeNullArray() }
    @inlinable public func array(_ count: Int) { client.output.writeArrayHeader(count) }
    /// A bulk reply, or a null bulk for nil.
    public func bulkOrNull(_ b: Bytes?) { if let b { bulk(b) } else { null() } }
    public func bulkArray(_ items: [Bytes]) {
        array(items.count)
        for b in items { bulk(b) }
    }

    // MARK: common errors (Redis's wording)

    public func syntaxError() { error("ERR syntax error") }
    public func wrongType() { error("WRONGTYPE Operation against a key holding the wrong kind of value") }
    public func notInteger() { error("ERR value is not an integer or out of range") }
    public func notFloat() { error("ERR value is not a valid float") }
    public func wrongArity() { error("ERR wrong number of arguments for '\(argv[0].text.lowercased())' command") }

    // MARK: arguments

    /// Argument `i` as an integer, or nil after replying with Redis's error.
    public func int64(_ i: Int) -> Int64? {
        guard let v = argv[i].parseInt64() else { notInteger(); return nil }
        return v
    }

    /// Argument `i` lowercased as text, for matching option names.
    public func option(_ i: Int) -> String { argv[i].text.lowercased() }

    // MARK: propagation

    /// Replaces the record propagated for this command (one or more commands).
    public func propagate(as records: [[Bytes]]) { server.stream.replaceCurrentCommand(with: records) }
}
