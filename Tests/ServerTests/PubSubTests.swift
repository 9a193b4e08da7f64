import XCTest
import RESP
import Engine
@testable import Server

final class PubSubTests: XCTestCase {
    func testSubscribePublishUnsubscribe() {
        let h = Harness()
        let sub = h.newClient()
        XCTAssertEqual(h.run("SUBSCRIBE", "news", "sport", as: sub),
                       .array([.str("subscribe"), .str("news"), .int(1)]))
        XCTAssertEqual(h.takeReply(sub), .array([.str("subscribe"), .str("sport"), .int(2)]))
        XCTAssertEqual(h.run("PSUBSCRIBE", "n*", as: sub), .array([.str("psubscribe"), .str("n*"), .int(3)]))
        XCTAssertEqual(h.run("PUBLISH", "news", "hello"), .int(2))
        XCTAssertEqual(h.takeReply(sub), .array([.str("message"), .str("news"), .str("hello")]))
        XCTAssertEqual(h.takeReply(sub), .array([.str("pmessage"), .str("n*"), .str("news"), .str("hello")]))
        XCTAssertEqual(h.run("PUBLISH", "weather", "rain"), .int(0))
        XCTAssertEqual(h.run("PUBSUB", "NUMSUB", "news", "none"), .array([.str("news"), .int(1), .str("none"), .int(0)]))
        XCTAssertEqual(h.run("PUBSUB", "NUMPAT"), .int(1))
        guard case .array(let channels) = h.run("PUBSUB", "CHANNELS", "s*") else { return XCTFail() }
        XCTAssertEqual(channels, [.str("sport")])
        // Subscribed: only the pub/sub commands, PING and QUIT.
        XCTAssertEqual(h.run("GET", "x", as: sub), .error("ERR only (P)SUBSCRIBE / (P)UNSUBSCRIBE / PING / QUIT allowed in this context"))
        XCTAssertEqual(h.run("PING", as: sub), .array([.str("pong"), .str("")]))
        XCTAssertEqual(h.run("UNSUBSCRIBE", as: sub), .array([.str("unsubscribe"), .str("news"), .int(2)]))
        XCTAssertEqual(h.takeReply(sub), .array([.str("unsubscribe"), .str("sport"), .int(1)]))
        XCTAssertEqual(h.run("PUNSUBSCRIBE", as: sub), .array([.str("punsubscribe"), .str("n*"), .int(0)]))
        XCTAssertEqual(h.run("UNSUBSCRIBE", as: sub), .array([.str("unsubscribe"), .null, .int(0)]))
        XCTAssertEqual(h.run("PING", as: sub), .simple("PONG"), "out of pub/sub mode again")
        XCTAssertEqual(h.run("PUBLISH", "news", "x"), .int(0))
    }

    func testDisconnectDropsSubscriptions() {
        let h = Harness()
        let sub = h.newClient()
        h.run("SUBSCRIBE", "a", as: sub)
        h.run("PSUBSCRIBE", "*", as: sub)
        h.server.disconnect(sub)
        XCTAssertEqual(h.run("PUBLISH", "a", "x"), .int(0))
        XCTAssertEqual(h.run("PUBSUB", "NUMPAT"), .int(0))
    }

    func testKeyspaceNotifications() {
        let h = Harness()
        XCTAssertEqual(h.run("CONFIG", "SET", "notify-keyspace-events", "KEA"), .ok)
        XCTAssertEqual(h.run("CONFIG", "GET", "notify-keyspace-events"), .strs(["notify-keyspace-events", "AKE"]))
        let sub = h.newClient()
        h.run("PSUBSCRIBE", "__key*__:*", as: sub)
        h.run("SET", "k", "v")
        XCTAssertEqual(h.takeReply(sub), .array([.str("pmessage"), .str("__key*__:*"), .str("__keyspace@0__:k"), .str("set")]))
        XCTAssertEqual(h.takeReply(sub), .array([.str("pmessage"), .str("__key*__:*"), .str("__keyevent@0__:set"), .str("k")]))
        XCTAssertEqual(h.run("CONFIG", "SET", "notify-keyspace-events", "Eg"), .ok)
        h.run("EXPIRE", "k", "100")
        XCTAssertEqual(h.takeReply(sub), .array([.str("pmessage"), .str("__key*__:*"), .str("__keyevent@0__:expire"), .str("k")]))
        h.run("SET", "k2", "v")
        h.run("DEL", "k", "k2")
        XCTAssertEqual(h.takeReply(sub).description, RESPValue.array([.str("pmessage"), .str("__key*__:*"), .str("__keyevent@0__:del"), .str("k")]).description,
                       "string events are not selected by 'g'; del is")
        XCTAssertEqual(h.takeReply(sub), .array([.str("pmessage"), .str("__key*__:*"), .str("__keyevent@0__:del"), .str("k2")]))
        XCTAssertEqual(h.run("CONFIG", "SET", "notify-keyspace-events", "Ex"), .ok)
        h.put("gone", "v", expireAt: wallClockMilliseconds() - 1)
        h.run("GET", "gone")
        XCTAssertEqual(h.takeReply(sub), .array([.str("pmessage"), .str("__key*__:*"), .str("__keyevent@0__:expired"), .str("gone")]))
        XCTAssertEqual(h.run("CONFIG", "SET", "notify-keyspace-events", "Q"), .error("ERR Invalid argument 'Q' for CONFIG SET 'notify-keyspace-events'"))
    }
}
