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

package struct Call {
    package let server: Server
    package let client: Client
    package let argv: [Bytes]

    package var ks: Keyspace { server.keyspace }
    package var db: Int { client.db }

    // MARK: replies

    @inlinable package func ok() { client.output.writeStaticString("+OK\r\n") }
    package func status(_ s: String) { client.output.writeSimpleString(s) }
    package func error(_ message: String) {
        server.stats.errorReplies += 1
        client.output.writeError(message)
    }
    @inlinable package func integer(_ v: Int64) { client.output.writeIntegerReply(v) }
    @inlinable package func integer(_ v: Int) { client.output.writeIntegerReply(Int64(v)) }
    @inlinable package func bulk(_ b: Bytes) { client.output.writeBulk(b) }
    package func bulk(_ s: String) { client.output.writeBulk(s) }
    @inlinable package func null() { client.output.writeNullBulk() }
    package func nullArray() { client.output.writeNullArray() }
    @inlinable package func array(_ count: Int) { client.output.writeArrayHeader(count) }
    /// A bulk reply, or a null bulk for nil.
    package func bulkOrNull(_ b: Bytes?) { if let b { bulk(b) } else { null() } }
    package func bulkArray(_ items: [Bytes]) {
        array(items.count)
        for b in items { bulk(b) }
    }

    // MARK: common errors (Redis's wording)

    package func syntaxError() { error("ERR syntax error") }
    package func wrongType() { error("WRONGTYPE Operation against a key holding the wrong kind of value") }
    package func notInteger() { error("ERR value is not an integer or out of range") }
    package func notFloat() { error("ERR value is not a valid float") }
    package func wrongArity() { error("ERR wrong number of arguments for '\(argv[0].text.lowercased())' command") }

    // MARK: arguments

    /// Argument `i` as an integer, or nil after replying with Redis's error.
    package func int64(_ i: Int) -> Int64? {
        guard let v = argv[i].parseInt64() else { notInteger(); return nil }
        return v
    }

    /// Argument `i` lowercased as text, for matching option names.
    package func option(_ i: Int) -> String { argv[i].text.lowercased() }

    // MARK: propagation

    /// Replaces the record propagated for this command (one or more commands).
    package func propagate(as records: [[Bytes]]) { server.stream.replaceCurrentCommand(with: records) }
}
