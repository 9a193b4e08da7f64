// ConfigCommands: CONFIG GET, SET, RESETSTAT and REWRITE, answered from the
// directive table (Config/ConfigTable.swift) with Redis 4.0's replies.
//
// GET matches its glob case-insensitively against every name the table shows
// (an alias is listed only when the pattern matches it and not the 4.0 name).
// SET applies to a copy of the configuration and installs it only on success,
// then runs the directive's effect on the running server (log level, access
// policy, slow log length...). Errors: Redis's generic "Invalid argument"
// unless the problem has its own words (a feature not built yet, a path where a
// file name is expected, a failed chdir).
import Engine

let configCommands: [Command] = [
    Command("config", arity: -2, flags: "lat") { call in
        let sub = call.option(1)
        let expected = ["get": 3, "set": 4, "resetstat": 2, "rewrite": 2]
        guard let count = expected[sub] else {
            call.error("ERR CONFIG subcommand must be one of GET, SET, RESETSTAT, REWRITE")
            return
        }
        guard call.argv.count == count else {
            call.error("ERR Wrong number of arguments for CONFIG \(call.argv[1].text)")
            return
        }
        switch sub {
        case "get": configGet(call)
        case "set": configSet(call)
        case "resetstat":
            call.server.resetStats()
            call.ok()
        default: configRewrite(call)
        }
    },
]

private func configGet(_ call: Call) {
    let pattern = call.argv[2]
    let config = call.server.config
    var reply: [Bytes] = []
    for directive in ConfigTable.directives {
        guard let value = directive.value(in: config) else { continue }
        let shownName = ([directive.name] + directive.aliases).first {
            globMatch(pattern, Bytes($0), caseInsensitive: true)
        }
        if let shownName {
            reply.append(Bytes(shownName))
            reply.append(Bytes(value))
        }
    }
    call.bulkArray(reply)
}

private func configSet(_ call: Call) {
    let server = call.server
    let name = call.argv[2].text
    guard let directive = ConfigTable.lookup(name), directive.settable else {
        call.error("ERR Unsupported CONFIG parameter: \(name)")
        return
    }
    var updated = server.config
    var context = ConfigContext(source: .runtime)
    context.spelling = name.lowercased()
    do {
        try directive.apply([call.argv[3]], to: &updated, &context)
    } catch let problem as ConfigProblem {
        call.error(problem.verbatim ? "ERR \(problem.message)"
                                    : "ERR Invalid argument '\(call.argv[3].text)' for CONFIG SET '\(name)'")
        return
    } catch {
        call.error("ERR \(error)")
        return
    }
    let old = server.config
    server.config = updated
    do {
        try directive.effect?(server, old)
    } catch {
        // The setting could not take effect: it is not taken either.
        server.config = old
        call.error((error as? ConfigProblem).map { "ERR \($0.message)" } ?? "ERR \(error)")
        return
    }
    call.ok()
}

private func configRewrite(_ call: Call) {
    let server = call.server
    guard !server.config.configFile.isEmpty else {
        call.error("ERR The server is running without a config file")
        return
    }
    do {
        try ConfigRewrite.rewrite(path: server.config.configFile, config: server.config)
        server.log.warning("CONFIG REWRITE executed with success.")
        call.ok()
    } catch {
        server.log.warning("CONFIG REWRITE failed: \(error)")
        call.error("ERR Rewriting config file: \(error)")
    }
}
