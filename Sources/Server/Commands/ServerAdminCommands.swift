// ServerAdminCommands: (being written).
import Engine

let serverCommands: [Command] = []
