// Launch: what `cairn-server` does, from the command line to `Ready to accept
// connections`, kept in the library so tests can start a server the same way.
#if canImport(Glibc)
import Glibc
#endif
import Engine

package enum Launch {
    /// Runs the server for these command-line arguments (without the program name);
    /// returns the process exit status.
    package static func run(arguments: [String]) -> Int32 {
        var config: ServerConfig
        var fromFile = false
        switch ConfigLoader.request(arguments) {
        case .version:
            print(ConfigLoader.versionLine)
            return 0
        case .help:
            print(ConfigLoader.usage)
            return 0
        case .run(let file, let options):
            fromFile = file != nil
            do {
                config = try ConfigLoader.load(configFile: file, options: options)
            } catch let error as ConfigError {
                fputs(error.report + "\n", stderr)
                return 1
            } catch {
                fputs("\(error)\n", stderr)
                return 1
            }
        }
        // Forked before the log opens and before any thread exists (NIO's come with the listener).
        let background = StartupEffects.runsInBackground(config)
        if background { StartupEffects.daemonize() }
        // A relative logfile (or pidfile) is relative to `dir`, as after Redis's chdir at `dir`.
        let log = ServerLog(config: config)
        // Every return below ends the process (main.swift exits with the status).
        defer { log.flush() }
        let pid = getpid()
        log.notice("Cairn is starting")
        log.notice("Cairn version=\(Server.cairnVersion), redis_version=\(Server.implementedRedisVersion), bits=64, pid=\(pid), just started")
        if !fromFile {
            log.warning("Warning: no config file specified, using the default config. In order to specify a config file use cairn-server /path/to/cairn.conf")
        } else {
            log.notice("Configuration loaded")
        }
        if chdir(config.dir) != 0 {
            log.warning("Can't chdir to '\(config.dir)': \(String(cString: strerror(errno)))")
            return 1
        }
        StartupEffects.fitMaxclients(&config, log: log)
        let server = Server(config: config, log: log)
        server.pidFilePath = StartupEffects.writePidFile(config, background: background, log: log)
        // A clean shutdown removes it first (prepareForShutdown); this covers the other exits.
        defer { if let pidfile = server.pidFilePath { unlink(pidfile) } }
        // Modules load before any client is served and before the data, as in Redis (a key of a
        // module type needs its module). No event loop runs yet, so this thread owns the keyspace.
        for spec in config.loadModules {
            let path = String(decoding: spec[0], as: UTF8.self)
            do {
                try server.modules.load(path: path, arguments: Array(spec.dropFirst()))
            } catch {
                log.warning("Can't load module from \(path): server aborting")
                return 1
            }
        }
        let listener = Listener(server: server)
        // Clients that connect before the first load step must already get -LOADING, not an empty dataset.
        server.persistence.expectStartupLoad()
        do {
            try listener.start()
        } catch {
            log.warning("\(error)")
            return 1
        }
        log.notice("Running mode=standalone, port=\(server.boundPort).")
        log.notice("PID: \(pid)")
        log.notice("Server initialized")
        let failedLoad = FailureFlag()
        // Load on the event loop in steps: clients that connect meanwhile get -LOADING.
        listener.eventLoop.execute {
            server.memory.markStartup()  // on the keyspace thread, whose counters the meter follows
            server.persistence.loadAtStartup { ok in
                if ok {
                    log.notice("Ready to accept connections")
                    if let master = config.replicaOf {
                        _ = server.becomeReplica(of: master.host, port: master.port, requestedBy: "config file")
                    }
                    StartupEffects.notifySupervisor(config.supervised, log: log)
                } else {
                    failedLoad.set()
                    listener.shutdown(farewell: false)
                }
            }
        }
        do {
            try listener.wait()
        } catch {
            log.warning("\(error)")
            return 1
        }
        return failedLoad.isSet ? 1 : 0
    }
}

/// Set once on the event loop, read after it stopped.
final class FailureFlag: @unchecked Sendable {
    private(set) var isSet = false
    func set() { isSet = true }
}
