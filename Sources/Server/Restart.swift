// Restart: DEBUG RESTART and DEBUG CRASH-AND-RECOVER, the server replaced by a
// fresh copy of itself with the same arguments, as Redis 4.0 does it.
//
// A graceful restart rewrites the config file (so SLAVEOF and CONFIG SET
// survive) and shuts down as SHUTDOWN does (the RDB saved when save points are
// set, with the replication ID and offset in it: the new process continues by
// partial resync). Every descriptor past stderr is marked close-on-exec rather
// than closed, so the event loop's threads never see a descriptor vanish under
// them and, if exec fails, nothing was torn down behind a running server.
#if canImport(Glibc)
import Glibc
#endif

extension Server {
    /// Replaces the process by a new start of the same executable with the same
    /// arguments, after `delayMs`. Returns only when the restart could not start
    /// (the shutdown's save failed); once exec is attempted, a failure exits.
    func restart(graceful: Bool, delayMs: Int) -> Bool {
        if graceful {
            if !config.configFile.isEmpty, access(config.configFile, W_OK) == 0 {
                do {
                    try ConfigRewrite.rewrite(path: config.configFile, config: config)
                } catch {
                    log.warning("Can't restart: configuration rewrite process failed: \(error)")
                    return false
                }
            }
            guard prepareForShutdown(save: nil) else {
                log.warning("Can't restart: error preparing for shutdown")
                return false
            }
        }
        if delayMs > 0 { usleep(useconds_t(min(delayMs, 3_600_000)) * 1000) }
        Self.markDescriptorsCloseOnExec()
        let arguments = CommandLine.arguments
        log.warning("Restarting the server (\(graceful ? "DEBUG RESTART" : "DEBUG CRASH-AND-RECOVER"))")
        log.flush()
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        execv("/proc/self/exe", &cArguments)
        // The old process has already shut down its persistence: it cannot go on serving.
        log.warning("Can't restart: execv failed: \(String(cString: strerror(errno)))")
        log.flush()
        _exit(1)
    }

    /// Every open descriptor above stderr closes when exec replaces the process.
    private static func markDescriptorsCloseOnExec() {
        guard let d = opendir("/proc/self/fd") else { return }
        defer { closedir(d) }
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            guard let fd = Int32(name), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
