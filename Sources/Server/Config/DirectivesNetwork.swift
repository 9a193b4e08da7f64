// DirectivesNetwork: listening, clients and security directives.
//
// Range messages are Redis 4.0's ("Invalid port"...). The tricky bits:
// `requirepass` set at run time where there was none makes every connected
// client authenticate again (in Redis no client is ever authenticated while no
// password is set); `maxclients` raised at run time must fit the open-files limit.
#if canImport(Glibc)
import Glibc
#endif
import Engine

let networkDirectives: [ConfigDirective] = [
    ConfigDirective(
        "bind", status: .built, arguments: 1...Int.max, settable: false,
        apply: { config, args, _ in
            guard args.count <= 16 else { throw ConfigProblem("Too many bind addresses specified") }
            config.bind = args.map { $0.text }
        },
        get: { $0.bind.joined(separator: " ") },
        rewrite: { $0.bind.isEmpty ? [] : [($0.bind.joined(separator: " "), true)] }),
    .bool("protected-mode", \.protectedMode, status: .built, settable: true),
    .int("port", \.port, status: .built, settable: false, range: 0...65535, problem: "Invalid port"),
    .int("tcp-backlog", \.tcpBacklog, status: .built, settable: false, range: 0...Int.max,
         problem: "Invalid backlog value"),
    .string("unixsocket", \.unixsocket, status: .built, settable: false, rewriteDefault: nil),
    ConfigDirective(
        "unixsocketperm", status: .built, settable: false,
        apply: { config, args, _ in
            guard !args[0].isEmpty, let mode = Int(args[0].text, radix: 8), mode >= 0, mode <= 0o777 else {
                throw ConfigProblem("Invalid socket file permissions")
            }
            config.unixsocketperm = mode
        },
        get: { String($0.unixsocketperm, radix: 8) },
        rewrite: { [(String($0.unixsocketperm, radix: 8), $0.unixsocketperm != 0)] }),
    .int("timeout", \.timeout, status: .built, settable: true, range: 0...Int.max, problem: "Invalid timeout value"),
    .int("tcp-keepalive", \.tcpKeepalive, status: .built, settable: true, range: 0...Int.max,
         problem: "Invalid tcp-keepalive value"),
    .optionalString("requirepass", \.requirepass, status: .built, settable: true,
                    check: { v in
                        if v.utf8.count > 512 { throw ConfigProblem("Password is longer than CONFIG_AUTHPASS_MAX_LEN") }
                    },
                    effect: { server, old in
                        guard old.requirepass == nil, server.config.requirepass != nil else { return }
                        for client in server.clients.values { client.authenticated = false }
                    }),
    ConfigDirective(
        "maxclients", status: .built, settable: true,
        apply: { config, args, context in
            let v = try ConfigValue.integer(args[0])
            guard v >= 1 else { throw ConfigProblem("Invalid max clients limit") }
            if context.source == .runtime && v > config.maxclients {
                let possible = OpenFilesLimit.raise(toServe: v)
                if possible < v {
                    throw ConfigProblem("The operating system is not able to handle the specified number of "
                                        + "clients, try with \(possible)", verbatim: true)
                }
            }
            config.maxclients = v
        },
        get: { String($0.maxclients) },
        rewrite: { [(String($0.maxclients), $0.maxclients != 10000)] }),
    // Checked against the table as earlier lines left it, so the file's errors are Redis's;
    // not CONFIG GET/SET-able, and CONFIG REWRITE keeps the lines as they are.
    ConfigDirective(
        "rename-command", status: .built, arguments: 2...2, settable: false,
        apply: { config, args, _ in
            let rename = CommandRename(from: args[0].text, to: args[1].text)
            var table = CommandTable.standard(renaming: config.commandRenames)
            try table.rename(rename.from, to: rename.to)
            config.commandRenames.append(rename)
        },
        get: nil, rewrite: nil),
]

/// The open-files limit, which bounds how many clients can be served (Redis
/// keeps 32 descriptors for itself).
enum OpenFilesLimit {
    static let reserved = 32

    /// Raises the soft limit so that `clients` can be served if it can; returns how many can.
    static func raise(toServe clients: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return clients }
        let wanted = rlim_t(clients + reserved)
        if limit.rlim_cur >= wanted { return clients }
        var raised = limit
        raised.rlim_cur = min(wanted, limit.rlim_max)
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        return min(clients, max(Int(clamping: limit.rlim_cur) - reserved, 1))
    }
}
