// Launch: what `cairn-server` does, from the command line to `Ready to accept
// connections`, kept in the library so tests can start a server the same way.
#if canImport(Glibc)
import Glibc
#endif
import Engine

public enum Launch {
    /// Runs the server for these command-line arguments (without the program name);
    /// returns the process exit status.
    public static func run(arguments: [String]) -> Int32 {
        let config: ServerConfig
        do {
            config = try ConfigLoader.load(arguments: arguments)
        } catch let error as ConfigError {
            fputs(error.report + "\n", stderr)
            return 1
        } catch {
            fputs("\(error)\n", stderr)
            return 1
        }
        let log = ServerLog(level: config.loglevel, path: config.logfile)
        let pid = getpid()
        log.notice("Cairn is starting")
        log.notice("Cairn version=\(Server.cairnVersion), redis_version=\(Server.implementedRedisVersion), bits=64, pid=\(pid), just started")
        if config.configFile.isEmpty {
            log.warning("Warning: no config file specified, using the default config. In order to specify a config file use cairn-server /path/to/cairn.conf")
        } else {
            log.notice("Configuration loaded")
        }
        let server = Server(config: config, log: log)
        if chdir(config.dir) != 0 {
            log.warning("Can't chdir to '\(config.dir)': \(String(cString: strerror(errno)))")
            return 1
        }
        let listener = Listener(server: server)
        do {
            try listener.start()
        } catch {
            log.warning("\(error)")
            return 1
        }
        log.notice("Running mode=standalone, port=\(server.boundPort).")
        log.notice("PID: \(pid)")
        log.notice("Server initialized")
        log.notice("Ready to accept connections")
        do {
            try listener.wait()
        } catch {
            log.warning("\(error)")
            return 1
        }
        return 0
    }
}
