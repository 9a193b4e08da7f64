// StartupEffects: what some directives do to the process at start and exit,
// beyond setting a value: going into the background (`daemonize`), the pid file,
// the open-files limit that `maxclients` needs, and telling a supervisor
// (`supervised`) that the server is ready.
//
// As Redis 4.0: a server daemonizes unless a supervisor it was told about is
// present; the pid file is written when daemonized or when `pidfile` is set
// (daemonized without one: /var/run/redis.pid), after the chdir to `dir` (so a
// relative path lands there), and removed at a clean shutdown; maxclients is lowered, with a warning,
// when the open-files limit cannot be raised to fit it; systemd hears READY=1
// on $NOTIFY_SOCKET, upstart gets a SIGSTOP ($UPSTART_JOB), and `auto` picks
// whichever environment variable is present.
#if canImport(Glibc)
import Glibc
#endif
import Engine

enum StartupEffects {
    /// The pid file a daemonized server writes when `pidfile` names none.
    static let defaultPidFile = "/var/run/redis.pid"

    /// True when the configuration asks to run in the background: `daemonize yes`, and no
    /// supervisor that `supervised` names is found in the environment (Redis 4.0's rule).
    static func runsInBackground(_ config: ServerConfig) -> Bool {
        guard config.daemonize else { return false }
        let upstart = getenv("UPSTART_JOB") != nil
        // systemd's socket must be a path or an abstract name, as Redis checks it.
        let systemd = getenv("NOTIFY_SOCKET").map { s -> Bool in
            let text = String(cString: s)
            return text.utf8.count >= 2 && (text.hasPrefix("/") || text.hasPrefix("@"))
        } ?? false
        switch config.supervised {
        case .no: return true
        case .upstart: return !upstart
        case .systemd: return !systemd
        case .auto: return !upstart && !systemd
        }
    }

    /// Forks: the launching process exits 0, the child goes on in a session of its own
    /// with standard input and output on /dev/null (so it logs only to a `logfile`).
    /// Must run before any thread exists: fork copies only the calling thread.
    static func daemonize() {
        let child = fork()
        if child < 0 {
            fputs("Can't fork into the background: \(ConfigValue.errnoText())\n", stderr)
            exit(1)
        }
        if child != 0 { exit(0) }
        setsid()
        let null = open("/dev/null", O_RDWR, 0)
        if null >= 0 {
            for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] { dup2(null, fd) }
            if null > STDERR_FILENO { close(null) }
        }
    }

    /// Writes the pid file if one is configured, or the default one for a daemonized server
    /// (a failure is only logged); returns its absolute path, for removing it at shutdown.
    static func writePidFile(_ config: ServerConfig, background: Bool, log: ServerLog) -> String? {
        guard background || !config.pidfile.isEmpty else { return nil }
        let path = ConfigValue.absolute(config.pidfile.isEmpty ? defaultPidFile : config.pidfile, from: config.dir)
        guard let f = fopen(path, "w") else {
            log.warning("Failed to write PID file: \(ConfigValue.errnoText())")
            return nil
        }
        fputs("\(getpid())\n", f)
        fclose(f)
        return path
    }

    /// Lowers `maxclients` to what the open-files limit allows, if it cannot be raised.
    static func fitMaxclients(_ config: inout ServerConfig, log: ServerLog) {
        let possible = OpenFilesLimit.raise(toServe: config.maxclients)
        if possible < config.maxclients {
            log.warning("You requested maxclients of \(config.maxclients) requiring at least "
                        + "\(config.maxclients + OpenFilesLimit.reserved) max file descriptors.")
            log.warning("Current maximum open files is \(possible + OpenFilesLimit.reserved). maxclients has been "
                        + "reduced to \(possible) to compensate for low ulimit. If you need higher maxclients "
                        + "increase 'ulimit -n'.")
            config.maxclients = possible
        }
    }

    /// Tells the supervisor the server is ready to accept connections.
    static func notifySupervisor(_ mode: SupervisedMode, log: ServerLog) {
        let upstart = getenv("UPSTART_JOB") != nil
        let systemd = getenv("NOTIFY_SOCKET") != nil
        switch mode {
        case .no:
            return
        case .upstart where upstart, .auto where upstart:
            log.notice("supervised by upstart, will stop to signal readiness")
            raise(SIGSTOP)
            unsetenv("UPSTART_JOB")
        case .systemd where systemd, .auto where systemd:
            log.notice("supervised by systemd, will signal readiness")
            sendSystemdReady(String(cString: getenv("NOTIFY_SOCKET")), log: log)
        default:
            log.warning("\(mode.rawValue == "auto" ? "supervised auto" : "supervised \(mode.rawValue)") "
                        + "requested, but no supervisor found in the environment")
        }
    }

    /// Sends READY=1 to systemd's notification socket (an abstract name when it starts with '@').
    private static func sendSystemdReady(_ socketPath: String, log: ServerLog) {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            log.warning("Can't connect to systemd socket \(socketPath)")
            return
        }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Bytes(socketPath)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { p in
            for (i, b) in path.enumerated() { p[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count)
        let message = Bytes("READY=1")
        let sent = withUnsafePointer(to: &address) { a in
            a.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                message.withUnsafeBytes { m in sendto(fd, m.baseAddress, m.count, 0, sa, length) }
            }
        }
        if sent < 0 { log.warning("Can't send notification to systemd: \(ConfigValue.errnoText())") }
    }
}
