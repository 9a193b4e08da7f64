// ConfigDirective: one entry of the directive table, and the builders the
// Directives*.swift files use to declare entries by value type.
//
// Contract: an entry knows how to apply its arguments (from a config file line,
// a command-line flag, or CONFIG SET), how CONFIG GET shows its value (nil: not
// shown, as Redis 4.0 hides e.g. `include`), how CONFIG REWRITE writes it (nil:
// file lines left as they are), whether CONFIG SET may change it, what must
// happen to a running server when it does, and whether its feature is built.
// The tricky bit: a `later` directive still parses and stores its value, but any
// value that would switch its unbuilt feature on throws a `notBuilt` problem, so
// nothing is ever accepted and silently ignored.
import Engine

/// Where a value comes from.
package enum ConfigSource: Sendable {
    /// A config file line or a command-line flag.
    case file
    /// CONFIG SET.
    case runtime
}

/// What applying a directive may need besides its arguments.
package struct ConfigContext {
    package var source: ConfigSource
    /// The directory relative paths resolve against (absolute): the process's
    /// own at start, then the last `dir` seen, as Redis's chdir at `dir` does.
    package var directory: String
    /// The directive's name as the line or CONFIG SET spelled it (an alias, say), lowercased.
    package var spelling: String? = nil

    /// A context reading from `source`, relative paths resolved against `directory`.
    package init(source: ConfigSource, directory: String = ConfigValue.currentDirectory()) {
        self.source = source
        self.directory = directory
    }
}

package enum DirectiveStatus: Sendable {
    /// Takes effect in this version.
    case built
    /// Its feature comes with a later issue; only values that enable nothing are accepted.
    case later
}

/// What CONFIG REWRITE writes for a directive: the text after the name of each
/// line, and whether it is written even when the file does not mention the
/// directive (Redis forces values that differ from the default). An empty list
/// removes every line of the directive.
package typealias RewriteValues = [(value: String, force: Bool)]

package struct ConfigDirective {
    package let name: String
    /// Other spellings (Redis 5's replica-* names for slave-*).
    package let aliases: [String]
    package let status: DirectiveStatus
    /// How many arguments a file line may give after the name.
    package let arguments: ClosedRange<Int>
    /// False for names only CONFIG GET/SET know (`watchdog-period`).
    package let inFile: Bool
    /// CONFIG SET may change it at run time.
    package let settable: Bool
    /// Handled by the file parser itself (`include`).
    package let isInclude: Bool
    let apply: (inout ServerConfig, [Bytes], inout ConfigContext) throws -> Void
    let get: ((ServerConfig) -> String)?
    let rewrite: ((ServerConfig) -> RewriteValues)?
    /// Run after CONFIG SET changed the value: (server, configuration before).
    let effect: ((Server, ServerConfig) throws -> Void)?
    /// For a directive with one line per key (client-output-buffer-limit's class):
    /// the key a line's first argument names, so CONFIG REWRITE reuses the line of the same key.
    let lineKey: ((Bytes) -> String?)?

    init(_ name: String, aliases: [String] = [], status: DirectiveStatus, arguments: ClosedRange<Int> = 1...1,
         inFile: Bool = true, settable: Bool, isInclude: Bool = false,
         apply: @escaping (inout ServerConfig, [Bytes], inout ConfigContext) throws -> Void,
         get: ((ServerConfig) -> String)?,
         rewrite: ((ServerConfig) -> RewriteValues)?,
         effect: ((Server, ServerConfig) throws -> Void)? = nil, lineKey: ((Bytes) -> String?)? = nil) {
        self.name = name
        self.aliases = aliases
        self.status = status
        self.arguments = arguments
        self.inFile = inFile
        self.settable = settable
        self.isInclude = isInclude
        self.apply = apply
        self.get = get
        self.rewrite = rewrite
        self.effect = effect
        self.lineKey = lineKey
    }

    /// Applies `args` (a file line's arguments, or CONFIG SET's one value) to `config`.
    package func apply(_ args: [Bytes], to config: inout ServerConfig, _ context: inout ConfigContext) throws {
        try apply(&config, args, &context)
    }

    /// The value as CONFIG GET shows it, or nil when CONFIG GET does not show this directive.
    package func value(in config: ServerConfig) -> String? { get?(config) }
}

// MARK: builders by value type

extension ConfigDirective {
    static let defaults = ServerConfig()

    /// A yes/no directive. `enables`: the unbuilt feature that `yes` would switch on.
    static func bool(_ name: String, _ key: WritableKeyPath<ServerConfig, Bool>, aliases: [String] = [],
                     status: DirectiveStatus, settable: Bool, enables feature: String? = nil,
                     rewritten: Bool = true, effect: ((Server, ServerConfig) throws -> Void)? = nil) -> ConfigDirective {
        ConfigDirective(name, aliases: aliases, status: status, settable: settable,
                        apply: { config, args, context in
                            let v = try ConfigValue.yesNo(args[0])
                            if v, let feature { throw ConfigProblem.notBuilt(context.spelling ?? name, args, feature) }
                            config[keyPath: key] = v
                        },
                        get: { $0[keyPath: key] ? "yes" : "no" },
                        rewrite: rewritten ? { config in
                            let v = config[keyPath: key]
                            return [(v ? "yes" : "no", v != defaults[keyPath: key])]
                        } : nil,
                        effect: effect)
    }

    /// An integer directive. `range` bounds file values (refused with `problem`),
    /// `runtimeRange` CONFIG SET values (default: the same); `clamp` silently
    /// brings values into a range afterwards (hz). `enables`: the unbuilt feature
    /// any non-zero value would switch on. `memory`: read units (1k, 2mb...) and
    /// write them back as CONFIG REWRITE does.
    static func int(_ name: String, _ key: WritableKeyPath<ServerConfig, Int>, aliases: [String] = [],
                    status: DirectiveStatus, settable: Bool, inFile: Bool = true,
                    range: ClosedRange<Int> = Int.min...Int.max, runtimeRange: ClosedRange<Int>? = nil,
                    problem: String = "", clamp: ClosedRange<Int>? = nil, memory: Bool = false,
                    rewriteMemory: Bool? = nil, enables feature: String? = nil, rewritten: Bool = true,
                    effect: ((Server, ServerConfig) throws -> Void)? = nil) -> ConfigDirective {
        let writeMemory = rewriteMemory ?? memory
        return ConfigDirective(
            name, aliases: aliases, status: status, inFile: inFile, settable: settable,
            apply: { config, args, context in
                var v = memory ? try ConfigValue.memory(args[0]) : try ConfigValue.integer(args[0])
                let bounds = context.source == .runtime ? (runtimeRange ?? range) : range
                guard bounds.contains(v) else { throw ConfigProblem(problem) }
                if let clamp { v = Swift.min(Swift.max(v, clamp.lowerBound), clamp.upperBound) }
                if v != 0, let feature { throw ConfigProblem.notBuilt(context.spelling ?? name, args, feature) }
                config[keyPath: key] = v
            },
            get: { String($0[keyPath: key]) },
            rewrite: rewritten ? { config in
                let v = config[keyPath: key]
                return [(writeMemory ? ConfigValue.formatMemory(v) : String(v), v != defaults[keyPath: key])]
            } : nil,
            effect: effect)
    }

    /// A string directive. `check` validates a value (throwing the problem to
    /// report). `emptyIsUnset`: "" means "none" and is kept out of a rewritten file.
    static func string(_ name: String, _ key: WritableKeyPath<ServerConfig, String>, aliases: [String] = [],
                       status: DirectiveStatus, settable: Bool, rewriteDefault: String?, emptyIsUnset: Bool = false,
                       check: ((String, ConfigContext) throws -> Void)? = nil,
                       effect: ((Server, ServerConfig) throws -> Void)? = nil) -> ConfigDirective {
        ConfigDirective(name, aliases: aliases, status: status, settable: settable,
                        apply: { config, args, context in
                            let v = args[0].text
                            try check?(v, context)
                            config[keyPath: key] = v
                        },
                        get: { $0[keyPath: key] },
                        rewrite: { config in
                            let v = config[keyPath: key]
                            // Redis keeps an unset (NULL) string out of the file entirely.
                            if v.isEmpty && (rewriteDefault == nil || emptyIsUnset) { return [] }
                            return [(ConfigValue.quoted(v), v != rewriteDefault)]
                        },
                        effect: effect)
    }

    /// A string directive whose "" means none (stored as nil, shown as "").
    static func optionalString(_ name: String, _ key: WritableKeyPath<ServerConfig, String?>,
                               aliases: [String] = [], status: DirectiveStatus, settable: Bool,
                               check: ((String) throws -> Void)? = nil,
                               effect: ((Server, ServerConfig) throws -> Void)? = nil) -> ConfigDirective {
        ConfigDirective(name, aliases: aliases, status: status, settable: settable,
                        apply: { config, args, _ in
                            let v = args[0].text
                            try check?(v)
                            config[keyPath: key] = v.isEmpty ? nil : v
                        },
                        get: { $0[keyPath: key] ?? "" },
                        rewrite: { config in
                            guard let v = config[keyPath: key] else { return [] }
                            return [(ConfigValue.quoted(v), true)]
                        },
                        effect: effect)
    }

    /// One of a fixed set of names.
    static func choice<E: RawRepresentable & CaseIterable & Equatable>(
        _ name: String, _ key: WritableKeyPath<ServerConfig, E>, status: DirectiveStatus, settable: Bool,
        problem: String, effect: ((Server, ServerConfig) throws -> Void)? = nil) -> ConfigDirective
        where E.RawValue == String {
        ConfigDirective(name, status: status, settable: settable,
                        apply: { config, args, _ in
                            config[keyPath: key] = try ConfigValue.choice(args[0], Array(E.allCases), problem)
                        },
                        get: { $0[keyPath: key].rawValue },
                        rewrite: { config in
                            let v = config[keyPath: key]
                            return [(v.rawValue, v != defaults[keyPath: key])]
                        },
                        effect: effect)
    }
}
