// ReplicaPeer: a replica attached to this node as the master sees it (its
// REPLCONF announcements, its state in the full sync, its ACKs, what is held
// for it), and RDBFileSender, which sends a disk sync's file to it in chunks.
//
// Contract: owned by the server's replication state on the owner thread; the
// master side (ReplicationMaster.swift, ReplicationFullSync.swift) moves a
// peer through waitBgsaveStart -> waitBgsaveEnd -> sendBulk -> online.
// Tricky bit: the file is opened when the RDB job ends and read with pread,
// so a later BGSAVE renaming a new dump.rdb over it changes nothing here.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import Engine
import ChangeStream
import Replication

/// A replica attached to this node, as the master sees it.
final class ReplicaPeer {
    enum State: Equatable {
        case waitBgsaveStart, waitBgsaveEnd, sendBulk, online

        /// The state word of INFO's slaveN lines.
        var infoName: String {
            switch self {
            case .waitBgsaveStart, .waitBgsaveEnd: return "wait_bgsave"
            case .sendBulk: return "send_bulk"
            case .online: return "online"
            }
        }
    }

    unowned let client: Client
    var state = State.waitBgsaveStart
    /// REPLCONF listening-port and ip-address.
    var listeningPort = 0
    var announcedIP: String? = nil
    /// REPLCONF capa eof / psync2.
    var capaEOF = false
    var capaPsync2 = false
    /// Came with SYNC, not PSYNC: gets no +FULLRESYNC line and sends no ACKs.
    var prePsync = false
    /// The last REPLCONF ACK: offset and wall time (ms).
    var ackOffset: Int64 = 0
    var ackTimeMs: Int64 = 0
    /// The stream offset its full sync starts from (+FULLRESYNC's offset).
    var initialOffset: Int64 = -1
    /// Stream bytes held while its RDB is made and sent (and then while they go out).
    var held = HeldStream()
    /// The RDB file being sent.
    var fileSender: RDBFileSender? = nil
    /// Its full sync streams the RDB to the socket (diskless), framed by `eofMark`.
    var diskless = false
    var eofMark: [UInt8] = []
    /// After a diskless transfer: online, but the stream waits for its first ACK (it is
    /// loading until then), as Redis's repl_put_online_on_ack.
    var onlineOnAck = false
    /// It has sent a REPLCONF ACK since its full sync began.
    var acked = false
    /// When it started waiting for a full sync (the diskless delay counts from it).
    var waitingSinceMs: Int64 = 0

    init(client: Client) { self.client = client }

    /// The replica's name in log lines, as Redis's replicationGetSlaveName: ip:port.
    var name: String {
        let ip = announcedIP ?? String(client.address.split(separator: ":").dropLast().joined(separator: ":"))
        return listeningPort != 0 ? "\(ip):\(listeningPort)" : "client id #\(client.id)"
    }

    /// The IP INFO shows.
    var ip: String { announcedIP ?? String(client.address.split(separator: ":").dropLast().joined(separator: ":")) }
}

/// Sends an RDB file to one replica in chunks, as the socket drains.
final class RDBFileSender {
    private let fd: Int32
    let size: Int
    private(set) var sent = 0
    /// Bytes handed to the socket and not yet written, at most, before the next chunk.
    static let inFlightLimit = 4 << 20
    static let chunk = 256 << 10

    init?(path: String) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        var st = stat()
        guard fstat(fd, &st) == 0 else { close(fd); return nil }
        self.fd = fd
        self.size = Int(st.st_size)
    }

    deinit { close(fd) }

    var done: Bool { sent >= size }

    /// Moves up to the in-flight limit of the file into `output`; false on a read error.
    func pump(into client: Client) -> Bool {
        while !done && client.outputBytes < Self.inFlightLimit {
            let want = min(Self.chunk, size - sent)
            var got = 0
            let offset = off_t(sent)
            client.output.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { buffer in
                got = pread(fd, buffer.baseAddress, want, offset)
                return max(got, 0)
            }
            guard got > 0 else { return false }
            sent += got
        }
        return true
    }
}

