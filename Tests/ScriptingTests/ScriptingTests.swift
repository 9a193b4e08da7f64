// ScriptingTests: EVAL/EVALSHA/SCRIPT in process: SHA1, conversions, the checks
// on commands a script runs, what scripts propagate as (script vs effects
// replication, set_repl routing, EVALSHA as EVAL), and a script paused past
// lua-time-limit answering BUSY and SCRIPT KILL on a hand-driven loop.
import XCTest
import RESP
import Engine
import Scripting
@testable import Server

final class ScriptingTests: XCTestCase {
    func testSHA1KnownDigests() {
        XCTAssertEqual(SHA1.hex(Bytes()).text, "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        XCTAssertEqual(SHA1.hex(Bytes("abc".utf8)).text, "a9993e364706816aba3e25717850c26c9cd0d89d")
        XCTAssertEqual(SHA1.hex(Bytes(repeating: UInt8(ascii: "a"), count: 1_000)).text,
                       "291e9a6c66994949b57ba5e650361e98fc36b1ba")
        XCTAssertEqual(SHA1.hex(Bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).text,
                       "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }

    func testConversionsBothWays() {
        let h = ScriptTestHarness()
        h.run("SET", "s", "v")
        XCTAssertEqual(h.run("EVAL", "return {1, 2.9, -2.9, 'x', true, false, {err='E'}, {ok='O'}, nil, 9}", "0"),
                       .array([.integer(1), .integer(2), .integer(-2), .bulk(Bytes("x".utf8)), .integer(1), .null,
                               .error("E"), .simple("O")]))
        XCTAssertEqual(h.run("EVAL", "local r = redis.call('set', 'a', 'b') return {type(r), r.ok}", "0"),
                       .array([.bulk(Bytes("table".utf8)), .bulk(Bytes("OK".utf8))]))
        XCTAssertEqual(h.run("EVAL", "return type(redis.call('get', 'missing'))", "0"), .bulk(Bytes("boolean".utf8)))
        XCTAssertEqual(h.run("EVAL", "return redis.pcall('incr', KEYS[1]).err", "1", "s"),
                       .bulk(Bytes("ERR value is not an integer or out of range".utf8)))
        XCTAssertEqual(h.run("EVAL", "return redis.call('incr', KEYS[1])", "1", "s"),
                       .error("ERR Error running script (call to f_9f0b5b8d32f8c0c0a7a0fd1c1a3fdd22e4b44ac5): @user_script:1: ERR value is not an integer or out of range "
                              .replacingOccurrences(of: "9f0b5b8d32f8c0c0a7a0fd1c1a3fdd22e4b44ac5",
                                                    with: SHA1.hex(Bytes("return redis.call('incr', KEYS[1])".utf8)).text)))
    }

    func testCommandChecksAndSorting() {
        let h = ScriptTestHarness()
        h.run("SADD", "set", "c", "a", "b")
        XCTAssertEqual(h.run("EVAL", "return redis.call('smembers', 'set')", "0"),
                       .array(["a", "b", "c"].map { .bulk(Bytes($0.utf8)) }))
        guard case .error(let random)? = h.run("EVAL", "redis.call('randomkey') return redis.call('set', 'x', 1)", "0") else {
            return XCTFail("a write after RANDOMKEY must fail")
        }
        XCTAssertTrue(random.contains("Write commands not allowed after non deterministic commands"))
        XCTAssertEqual(h.run("EVAL", "redis.replicate_commands() redis.call('randomkey') return redis.call('set', 'x', 1)", "0"),
                       .simple("OK"))
        guard case .error(let refused)? = h.run("EVAL", "return redis.call('multi')", "0") else { return XCTFail() }
        XCTAssertTrue(refused.hasSuffix("@user_script: 1: This Redis command is not allowed from scripts "), refused)
        XCTAssertEqual(h.run("EVALSHA", String(repeating: "0", count: 40), "0"), .error("NOSCRIPT No matching script. Please use EVAL."))
        XCTAssertEqual(h.run("EVAL", "return 1", "-1"), .error("ERR Number of keys can't be negative"))
        XCTAssertEqual(h.run("EVAL", "return 1", "2", "k"), .error("ERR Number of keys can't be greater than number of args"))
        guard case .error(let debug)? = h.run("SCRIPT", "DEBUG", "yes") else { return XCTFail() }
        XCTAssertTrue(debug.contains("SCRIPT DEBUG is not supported"))
    }

    func testScriptReplicationRecordsTheScript() {
        let h = ScriptTestHarness()
        h.run("EVAL", "return redis.call('get', 'nothing')", "0")
        XCTAssertEqual(h.takeRecords(), [], "a script that wrote nothing records nothing")
        h.run("EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('incr', 'n')", "1", "k", "v")
        XCTAssertEqual(h.takeRecords(), ["EVAL redis.call('set', KEYS[1], ARGV[1]) return redis.call('incr', 'n') 1 k v"])
        let body = "return redis.call('incrby', KEYS[1], ARGV[1])"
        guard case .bulk(let sha)? = h.run("SCRIPT", "LOAD", body) else { return XCTFail() }
        XCTAssertEqual(h.takeRecords(), ["SCRIPT LOAD \(body)"])
        h.run("EVALSHA", sha.text.uppercased(), "1", "c", "5")
        XCTAssertEqual(h.takeRecords(), ["EVAL \(body) 1 c 5"], "EVALSHA goes out as EVAL with the body")
        h.run("SCRIPT", "FLUSH")
        XCTAssertEqual(h.takeRecords(), ["SCRIPT FLUSH"])
    }

    func testEffectsReplicationWrapsTheCommands() {
        let h = ScriptTestHarness()
        h.run("EVAL", "redis.replicate_commands() redis.call('time') redis.call('set', 'a', '1') redis.call('del', 'a') return 1", "0")
        XCTAssertEqual(h.takeRecords(), ["MULTI", "set a 1", "del a", "EXEC"])
        h.run("EVAL", "redis.replicate_commands() redis.set_repl(redis.REPL_AOF) redis.call('set', 'b', '1') "
              + "redis.set_repl(redis.REPL_NONE) redis.call('set', 'c', '1') redis.set_repl(redis.REPL_SLAVE) redis.call('set', 'd', '1')", "0")
        XCTAssertEqual(h.takeRecords(), ["MULTI", "aof: set b 1", "replicas: set d 1", "EXEC"])
        h.run("DEBUG", "LUA-ALWAYS-REPLICATE-COMMANDS", "1")
        h.run("EVAL", "redis.call('incr', 'n') return redis.call('incr', 'n')", "0")
        XCTAssertEqual(h.takeRecords(), ["MULTI", "incr n", "incr n", "EXEC"])
        h.run("MULTI")
        h.run("EVAL", "return redis.call('set', 'm', '1')", "0")
        h.run("EXEC")
        XCTAssertEqual(h.takeRecords(), ["MULTI", "set m 1", "EXEC"], "inside EXEC the EXEC wraps")
    }

    func testPausedScriptAnswersBusyAndKill() {
        let h = ScriptTestHarness(loop: true, luaTimeLimit: 20)
        let other = h.newClient()
        XCTAssertNil(h.run("EVAL", "local i = 0 while true do i = i + 1 end", "0"), "no reply while paused")
        XCTAssertTrue(h.client.runsSuspendedScript)
        XCTAssertEqual(h.run("GET", "x", as: other), .error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."))
        h.runTasks(limit: 2)  // still running: more slices were scheduled
        XCTAssertFalse(h.tasks.isEmpty)
        XCTAssertEqual(h.run("SCRIPT", "KILL", as: other), .simple("OK"))
        h.runTasks()
        guard case .error(let killed)? = try? RESPValue.decode(from: &h.client.output) else { return XCTFail("no reply after the kill") }
        XCTAssertTrue(killed.hasSuffix("@user_script:1: Script killed by user with SCRIPT KILL... "), killed)
        XCTAssertFalse(h.client.runsSuspendedScript)
        XCTAssertEqual(h.run("PING", as: other), .simple("PONG"))
        XCTAssertEqual(h.run("SCRIPT", "KILL", as: other), .error("NOTBUSY No scripts in execution right now."))
    }

    func testPausedWritingScriptIsUnkillableAndPropagatesOnceDone() {
        let h = ScriptTestHarness(loop: true, luaTimeLimit: 20)
        let other = h.newClient()
        let body = "redis.call('set', 'w', '1') local x = 0 for i = 1, 30000000 do x = x + 1 end return redis.call('get', 'w')"
        XCTAssertNil(h.run("EVAL", body, "0"))
        guard case .error(let refusal)? = h.run("SCRIPT", "KILL", as: other) else { return XCTFail() }
        XCTAssertTrue(refusal.hasPrefix("UNKILLABLE"))
        XCTAssertEqual(h.takeRecords(), [], "nothing of a paused script is delivered")
        let deadline = Date().addingTimeInterval(10)
        while !h.tasks.isEmpty && Date() < deadline { h.runTasks(limit: 1) }
        XCTAssertEqual(try? RESPValue.decode(from: &h.client.output), .bulk(Bytes("1".utf8)))
        XCTAssertEqual(h.takeRecords(), ["EVAL \(body) 0"])
    }
}
