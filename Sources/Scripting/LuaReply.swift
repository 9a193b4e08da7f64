// LuaReply: Redis's conversions between RESP replies and Lua values.
//
// RESP -> Lua (what redis.call returns): integer -> number, bulk -> string,
// null bulk or null array -> false, status -> {ok=...}, error -> {err=...},
// array -> table 1..n. Lua -> RESP (what a script returns): string -> bulk,
// true -> :1, false -> null bulk, number -> integer (truncated), table with a
// string `err` -> error, with a string `ok` -> status, else the array of its
// items 1..n up to the first nil; anything else -> null bulk.
// Tables are read raw (no metamethods: nothing here may raise a Lua error), and
// nesting beyond `maxDepth` (only a self-referencing table gets there) ends in a
// null bulk where Redis would run out of stack.
import CLua
import CLuaShim
import Engine
import NIOCore
import RESP

enum LuaReply {
    static let maxDepth = 1000

    // MARK: RESP -> Lua

    /// Pushes the reply at the reader index of `reply` (consumed); sorts an array of
    /// strings when `sortArray` (commands flagged S, as Redis does for scripts).
    static func push(_ l: OpaquePointer, from reply: inout ByteBuffer, sortArray: Bool) {
        if sortArray, reply.readableBytes > 1, reply.getInteger(at: reply.readerIndex, as: UInt8.self) == UInt8(ascii: "*"),
           reply.getInteger(at: reply.readerIndex + 1, as: UInt8.self) != UInt8(ascii: "-") {
            pushSortedArray(l, from: &reply)
            return
        }
        pushValue(l, from: &reply, depth: 0)
    }

    private static func pushValue(_ l: OpaquePointer, from reply: inout ByteBuffer, depth: Int) {
        guard let type = reply.readInteger(as: UInt8.self) else {
            lua_pushboolean(l, 0)
            return
        }
        if type == UInt8(ascii: ":") {
            lua_pushnumber(l, Double(readNumber(&reply)))
            return
        }
        if type == UInt8(ascii: "$") {
            let length = readNumber(&reply)
            if length < 0 {
                lua_pushboolean(l, 0)
            } else {
                reply.withUnsafeReadableBytes { raw in
                    raw.withMemoryRebound(to: CChar.self) { lua_pushlstring(l, $0.baseAddress, Int(length)) }
                }
                reply.moveReaderIndex(forwardBy: Int(length) + 2)
            }
            return
        }
        guard let line = readLine(&reply) else {
            lua_pushboolean(l, 0)
            return
        }
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            lua_createtable(l, 0, 1)
            push(l, line)
            lua_setfield(l, -2, type == UInt8(ascii: "+") ? "ok" : "err")
        case UInt8(ascii: "*"):
            let count = line.parseInt64() ?? -1
            guard count >= 0 else {
                lua_pushboolean(l, 0)
                return
            }
            lua_checkstack(l, 4)
            lua_createtable(l, Int32(clamping: count), 0)
            for i in 0..<count {
                pushValue(l, from: &reply, depth: depth + 1)
                lua_rawseti(l, -2, Int32(clamping: i + 1))
            }
        default:
            lua_pushboolean(l, 0)
        }
    }

    /// An array of bulk strings (or nulls, sorted as empty strings), sorted bytewise.
    private static func pushSortedArray(_ l: OpaquePointer, from reply: inout ByteBuffer) {
        reply.moveReaderIndex(forwardBy: 1)
        let count = readLine(&reply)?.parseInt64() ?? 0
        var items: [Bytes?] = []
        items.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard reply.readInteger(as: UInt8.self) == UInt8(ascii: "$"), let line = readLine(&reply) else { break }
            let length = Int(line.parseInt64() ?? -1)
            if length < 0 {
                items.append(nil)
            } else {
                items.append(reply.readBytes(length: length))
                reply.moveReaderIndex(forwardBy: 2)
            }
        }
        items.sort { ($0 ?? []).lexicographicallyPrecedes($1 ?? []) }
        lua_createtable(l, Int32(clamping: items.count), 0)
        for (i, item) in items.enumerated() {
            if let item { push(l, item) } else { lua_pushboolean(l, 0) }
            lua_rawseti(l, -2, Int32(i + 1))
        }
    }

    /// The decimal number ending at the next CRLF (a reply the server itself wrote), consumed.
    private static func readNumber(_ reply: inout ByteBuffer) -> Int64 {
        var value: Int64 = 0
        var negative = false
        var used = 0
        reply.withUnsafeReadableBytes { raw in
            var i = 0
            if i < raw.count && raw[i] == UInt8(ascii: "-") { negative = true; i += 1 }
            while i < raw.count && raw[i] != 13 {
                value = value &* 10 &+ Int64(raw[i] &- 48)
                i += 1
            }
            used = i + 2
        }
        reply.moveReaderIndex(forwardBy: min(used, reply.readableBytes))
        return negative ? 0 &- value : value
    }

    private static func readLine(_ reply: inout ByteBuffer) -> Bytes? {
        let view = reply.readableBytesView
        guard let cr = view.firstIndex(of: 13) else { return nil }
        let line = Bytes(view[view.startIndex..<cr])
        reply.moveReaderIndex(forwardBy: line.count + 2)
        return line
    }

    static func push(_ l: OpaquePointer, _ b: Bytes) {
        b.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { lua_pushlstring(l, $0.baseAddress, $0.count) }
        }
    }

    // MARK: Lua -> RESP

    /// Writes the value at `index` as a reply.
    static func write(_ l: OpaquePointer, index: Int32, into out: inout ByteBuffer, depth: Int) {
        switch lua_type(l, index) {
        case LUA_TSTRING:
            var length = 0
            let p = lua_tolstring(l, index, &length)!
            out.writeBulk(UnsafeRawBufferPointer(start: p, count: length))
        case LUA_TBOOLEAN:
            if lua_toboolean(l, index) != 0 { out.writeIntegerReply(1) } else { out.writeNullBulk() }
        case LUA_TNUMBER:
            out.writeIntegerReply(lua_tonumber(l, index).clampedToInt64)
        case LUA_TTABLE where depth < maxDepth:
            writeTable(l, index: index, into: &out, depth: depth)
        default:
            out.writeNullBulk()
        }
    }

    private static func writeTable(_ l: OpaquePointer, index: Int32, into out: inout ByteBuffer, depth: Int) {
        lua_checkstack(l, 4)
        for (field, isError) in [("err", true), ("ok", false)] {
            lua_pushstring(l, field)
            lua_rawget(l, index)
            if lua_type(l, -1) == LUA_TSTRING {
                var length = 0
                let p = lua_tolstring(l, -1, &length)!
                let text = Bytes(UnsafeRawBufferPointer(start: p, count: length)).map { $0 == 10 || $0 == 13 ? 32 : $0 }
                cl_pop(l, 1)
                if isError {
                    writeErrorBytes(text, into: &out)
                } else {
                    out.writeInteger(UInt8(ascii: "+"))
                    out.writeBytes(text)
                    out.writeStaticString("\r\n")
                }
                return
            }
            cl_pop(l, 1)
        }
        var count = 0
        while true {
            lua_rawgeti(l, index, Int32(count + 1))
            let isNil = lua_type(l, -1) == LUA_TNIL
            cl_pop(l, 1)
            if isNil { break }
            count += 1
        }
        out.writeArrayHeader(count)
        for i in 0..<count {
            lua_rawgeti(l, index, Int32(i + 1))
            write(l, index: lua_gettop(l), into: &out, depth: depth + 1)
            cl_pop(l, 1)
        }
    }
}
