// ModuleCommands: MODULE LOAD path [args...], MODULE UNLOAD name, MODULE LIST.
//
// Contract: Redis 4.0's replies. A load that fails answers "Error loading the
// extension. Please check the server logs." (the log says why), except that a
// module asking for an API function Cairn lacks gets that name in the error
// too. Anything else is a syntax error.
import Engine
import Modules

let moduleCommands: [Command] = [
    Command("module", arity: -2, flags: "as") { call in
        let sub = call.option(1)
        let server = call.server
        if sub == "load" && call.argv.count >= 3 {
            do throws(ModuleLoadError) {
                try server.modules.load(path: call.argv[2].text, arguments: Array(call.argv.dropFirst(3)))
                call.ok()
            } catch {
                call.error(error.message)
            }
        } else if sub == "unload" && call.argv.count == 3 {
            do throws(ModuleUnloadError) {
                try server.modules.unload(name: call.argv[2].text)
                call.ok()
            } catch {
                call.error(error.message)
            }
        } else if sub == "list" && call.argv.count == 2 {
            let list = server.modules.list
            call.array(list.count)
            for m in list {
                call.array(4)
                call.bulk("name")
                call.bulk(m.name)
                call.bulk("ver")
                call.integer(m.version)
            }
        } else {
            call.syntaxError()
        }
    },
]
