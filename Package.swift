// swift-tools-version:6.0
// Cairn: a Redis-compatible server and toolkit. See README.md and DESIGN (shared/DESIGN.md).
// Linux only: the server calls Glibc directly (open/write, syslog) and jemalloc's mallctl, so no
// platforms line claims macOS; Synchronization's Mutex needs no deployment target on Linux.
import PackageDescription

// Release builds drop exclusivity checks on the hot paths; debug builds keep them.
let releaseSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Cairn",
    products: [
        .executable(name: "cairn-server", targets: ["cairn-server"]),
        .executable(name: "cairn", targets: ["cairn"]),
        .executable(name: "replication-sim", targets: ["replication-sim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "RESP",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: releaseSettings),
        .target(name: "Engine", swiftSettings: releaseSettings),
        // Links Debian's libjemalloc (libjemalloc-dev): it replaces glibc malloc in every
        // program that links Server, and its statistics feed INFO memory and maxmemory.
        .target(name: "CairnCSystem", linkerSettings: [.linkedLibrary("jemalloc")]),
        // RDB's CRC64 by carry-less multiplication (PCLMULQDQ, chosen at run time); plain C,
        // no libraries, so RDB stays free of CairnCSystem's jemalloc.
        .target(name: "CairnCRC"),
        .target(name: "RDB", dependencies: ["Engine", "CairnCRC"], swiftSettings: releaseSettings),
        // The module API (MODULE LOAD): the C half holds what Swift cannot define (the API
        // lookup table, the variadic functions); Modules implements the rest over Engine.
        .target(name: "CairnModuleABI"),
        .target(name: "Modules", dependencies: ["Engine", "CairnModuleABI"], swiftSettings: releaseSettings),
        .target(name: "ChangeStream", dependencies: ["Engine"], swiftSettings: releaseSettings),
        .target(name: "AOF", dependencies: ["Engine", "RDB", "RESP", "ChangeStream"], swiftSettings: releaseSettings),
        .target(
            name: "Replication",
            dependencies: ["RESP", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: releaseSettings),
        // Lua 5.1 from Debian (liblua5.1-0-dev), and the C the Swift side cannot do itself:
        // Lua's API macros, error-raising trampolines, and the script stack switch.
        .systemLibrary(name: "CLua", path: "Sources/CLua", pkgConfig: "lua5.1", providers: [.apt(["liblua5.1-0-dev"])]),
        .target(name: "CLuaShim", dependencies: ["CLua"], linkerSettings: [.linkedLibrary("dl")]),
        .target(
            name: "Scripting",
            dependencies: ["CLua", "CLuaShim", "Engine", "RESP", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: releaseSettings),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(
            name: "Server",
            dependencies: [
                "RESP", "Engine", "RDB", "AOF", "ChangeStream", "Replication", "CairnCSystem", "Modules", "Scripting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: releaseSettings),
        .executableTarget(name: "cairn-server", dependencies: ["Server"], swiftSettings: releaseSettings),
        .executableTarget(
            name: "cairn",
            dependencies: [
                "Engine", "RDB", "AOF", "ChangeStream", "Server", "CZlib", "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: releaseSettings),
        // The replication simulator: whole Servers in one process over a simulated network,
        // driven by one seed (Sources/ReplicationSim; tools/replication-sim.sh runs many seeds).
        .target(
            name: "ReplicationSim",
            dependencies: ["Server", "RESP", "Engine", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: releaseSettings),
        .executableTarget(name: "replication-sim", dependencies: ["ReplicationSim", "Server"], swiftSettings: releaseSettings),
        // What every test target shares (seeded generator, child processes, ports, temporary
        // directories); plain Swift + Foundation, linked into the test targets only.
        .target(name: "CairnTestSupport", path: "Tests/CairnTestSupport"),
        .testTarget(name: "RESPTests", dependencies: ["RESP", "CairnTestSupport", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "CairnTestSupport"]),
        .testTarget(name: "RDBTests", dependencies: ["RDB", "Engine", "CairnTestSupport"]),
        .testTarget(name: "ChangeStreamTests", dependencies: ["ChangeStream", "Engine"]),
        .testTarget(name: "AOFTests", dependencies: ["AOF", "RDB", "Engine", "ChangeStream", "CairnTestSupport"]),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication", "RESP", "CairnTestSupport"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "RESP", "Engine", "RDB", "AOF", "ChangeStream", "Replication", "CairnTestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "ScriptingTests",
            dependencies: ["Scripting", "Server", "Engine", "RESP", "CairnTestSupport", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "ReplicationSimTests", dependencies: ["ReplicationSim", "Server"]),
        .testTarget(name: "ModulesTests", dependencies: ["Modules", "CairnModuleABI"]),
    ],
    swiftLanguageModes: [.v5]
)
