// GeoCommands: GEOADD, GEOPOS, GEODIST, GEOHASH, GEORADIUS, GEORADIUSBYMEMBER and
// their _RO forms, on sorted sets whose scores are 52-bit geohashes (Engine GeoHash).
//
// Contract: Redis 4.0's replies and errors. GEOADD is ZADD with computed scores:
// it reports "zadd" and propagates as `ZADD key score member ...`. Coordinates are
// answered with 17 decimals, trailing zeros cut ("%.17Lf" trimmed), distances with
// "%.4f"; units are m, km, ft, mi, case-sensitive as in 4.0. GEORADIUS on a missing
// key answers an empty array (even with STORE, as 4.0); COUNT without ASC/DESC
// sorts ascending. STORE/STOREDIST replace the destination (TTL dropped) or delete
// it when nothing was found, and the command propagates as sent (deterministic).
// The store reports "georadiusstore" in class z (Redis 4.0/5.0 filed it under l, a
// slip later fixed). Positions decode clamped to the valid ranges, as Redis 5+.
//
// The tricky bit: ordering. Unsorted results come in the order the search scans
// its cells (see GeoHash.searchIntervals); sorting is stable on distance, which is
// what glibc's qsort (a merge sort for these sizes) gives Redis.
import Engine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let geoCommands: [Command] = [
    Command("geoadd", arity: -5, flags: "wm", keys: (1, 1, 1)) { call in geoadd(call) },
    Command("geopos", arity: -2, flags: "r", keys: (1, 1, 1)) { call in
        guard let z = geoRead(call) else { return }
        call.array(call.argv.count - 2)
        for member in call.argv[2...] {
            guard let s = z?.score(member), let p = GeoHash.position(score: s) else { call.nullArray(); continue }
            call.array(2)
            call.bulkCoordinate(p.longitude)
            call.bulkCoordinate(p.latitude)
        }
    },
    Command("geohash", arity: -2, flags: "r", keys: (1, 1, 1)) { call in
        guard let z = geoRead(call) else { return }
        call.array(call.argv.count - 2)
        for member in call.argv[2...] {
            guard let s = z?.score(member), let text = GeoHash.geohashString(score: s) else { call.null(); continue }
            call.bulk(text)
        }
    },
    Command("geodist", arity: -4, flags: "r", keys: (1, 1, 1)) { call in
        var toMeters = 1.0
        if call.argv.count == 5 {
            guard let u = geoUnit(call, call.argv[4]) else { return }
            toMeters = u
        } else if call.argv.count > 5 {
            call.syntaxError()
            return
        }
        switch call.readZset(call.argv[1]) {
        case .missing: call.null()
        case .wrongType: call.wrongType()
        case .found(let z):
            guard let s1 = z.score(call.argv[2]), let s2 = z.score(call.argv[3]),
                  let a = GeoHash.position(score: s1), let b = GeoHash.position(score: s2) else {
                call.null()
                return
            }
            call.bulkDistance(GeoHash.distance(a.longitude, a.latitude, b.longitude, b.latitude) / toMeters)
        }
    },
    Command("georadius", arity: -6, flags: "w", keyFinder: geoRadiusKeys) { call in
        georadius(call, byMember: false, readOnly: false)
    },
    Command("georadius_ro", arity: -6, flags: "r", keys: (1, 1, 1)) { call in
        georadius(call, byMember: false, readOnly: true)
    },
    Command("georadiusbymember", arity: -5, flags: "w", keyFinder: geoRadiusKeys) { call in
        georadius(call, byMember: true, readOnly: false)
    },
    Command("georadiusbymember_ro", arity: -5, flags: "r", keys: (1, 1, 1)) { call in
        georadius(call, byMember: true, readOnly: true)
    },
]

/// Key positions of GEORADIUS[BYMEMBER]: the source and any STORE/STOREDIST key.
func geoRadiusKeys(_ argv: [Bytes]) -> [Int] {
    var keys = [1]
    var i = 5
    while i < argv.count {
        if (zsetArgIs(argv[i], "store") || zsetArgIs(argv[i], "storedist")) && i + 1 < argv.count {
            keys.append(i + 1)
            i += 1
        }
        i += 1
    }
    return keys
}

extension Call {
    /// A coordinate as Redis's addReplyHumanLongDouble writes it.
    func bulkCoordinate(_ v: Double) { bulk(formatLongDouble(Float80(v))) }

    /// A distance with four decimals.
    func bulkDistance(_ v: Double) {
        var buf = [CChar](repeating: 0, count: 400)
        let n = withVaList([v]) { vsnprintf(&buf, 400, "%.4f", $0) }
        bulk(buf[0..<Int(max(0, min(n, 399)))].map { UInt8(bitPattern: $0) })
    }
}

/// The sorted set for GEOPOS/GEOHASH: .some(nil) when the key is missing, nil after WRONGTYPE.
private func geoRead(_ call: Call) -> SortedSetValue?? {
    switch call.readZset(call.argv[1]) {
    case .missing: return .some(nil)
    case .wrongType: call.wrongType(); return nil
    case .found(let z): return .some(z)
    }
}

/// The meters in one `unit`, or nil after replying Redis's error.
private func geoUnit(_ call: Call, _ unit: Bytes) -> Double? {
    switch unit {
    case Bytes("m"): return 1
    case Bytes("km"): return 1000
    case Bytes("ft"): return 0.3048
    case Bytes("mi"): return 1609.34
    default:
        call.error("ERR unsupported unit provided. please use m, km, ft, mi")
        return nil
    }
}

/// Reads a longitude and a latitude at argv[at], argv[at+1], checking their ranges.
private func geoCoordinates(_ call: Call, at: Int) -> (Double, Double)? {
    guard let lon = call.argv[at].parseDouble(), let lat = call.argv[at + 1].parseDouble() else {
        call.notFloat()
        return nil
    }
    if lon < GeoHash.longitudeMin || lon > GeoHash.longitudeMax || lat < GeoHash.latitudeMin || lat > GeoHash.latitudeMax {
        call.error("ERR invalid longitude,latitude pair " + cFormat("%f", lon) + "," + cFormat("%f", lat))
        return nil
    }
    return (lon, lat)
}

/// `value` through a printf format taking one double.
private func cFormat(_ format: String, _ value: Double) -> String {
    var buf = [CChar](repeating: 0, count: 400)
    let n = withVaList([value]) { vsnprintf(&buf, 400, format, $0) }
    return String(decoding: buf[0..<Int(max(0, min(n, 399)))].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// GEOADD key longitude latitude member [longitude latitude member ...]
private func geoadd(_ call: Call) {
    let argv = call.argv
    guard (argv.count - 2) % 3 == 0 else {
        call.error("ERR syntax error. Try GEOADD key [x1] [y1] [name1] [x2] [y2] [name2] ... ")
        return
    }
    var scores: [Double] = []
    var members: [Bytes] = []
    var zaddArgv: [Bytes] = [Bytes("zadd"), argv[1]]
    var i = 2
    while i < argv.count {
        guard let (lon, lat) = geoCoordinates(call, at: i) else { return }
        guard let bits = GeoHash.score(longitude: lon, latitude: lat) else { call.notFloat(); return }
        scores.append(Double(bits))
        members.append(argv[i + 2])
        zaddArgv.append(bytesOf(Int64(bits)))
        zaddArgv.append(argv[i + 2])
        i += 3
    }
    let dirtyBefore = call.ks.dirty
    guard let outcome = zaddApply(call, key: argv[1], scores: scores, members: members,
                                  mode: SortedSetValue.AddMode()) else { return }
    if call.ks.dirty != dirtyBefore { call.propagate(as: [zaddArgv]) }
    call.integer(outcome.added)
}

/// GEORADIUS key longitude latitude radius unit [options], GEORADIUSBYMEMBER key member
/// radius unit [options]; options: WITHDIST WITHHASH WITHCOORD ASC DESC COUNT n
/// STORE key STOREDIST key (the last two not in the _RO forms).
private func georadius(_ call: Call, byMember: Bool, readOnly: Bool) {
    let argv = call.argv
    let z: SortedSetValue
    switch call.readZset(argv[1]) {
    case .missing: call.array(0); return
    case .wrongType: call.wrongType(); return
    case .found(let found): z = found
    }

    let baseArgs: Int
    let centre: (Double, Double)
    if byMember {
        baseArgs = 5
        guard let s = z.score(argv[2]), let p = GeoHash.position(score: s) else {
            call.error("ERR could not decode requested zset member")
            return
        }
        centre = (p.longitude, p.latitude)
    } else {
        baseArgs = 6
        guard let c = geoCoordinates(call, at: 2) else { return }
        centre = c
    }

    guard let radiusValue = argv[baseArgs - 2].parseDouble() else { call.error("ERR need numeric radius"); return }
    guard radiusValue >= 0 else { call.error("ERR radius cannot be negative"); return }
    guard let conversion = geoUnit(call, argv[baseArgs - 1]) else { return }
    let radius = radiusValue * conversion

    var withDist = false, withHash = false, withCoord = false
    var ascending: Bool? = nil
    var count: Int64 = 0
    var storeKey: Bytes? = nil
    var storeDist = false
    var i = baseArgs
    while i < argv.count {
        let a = argv[i]
        let hasNext = i + 1 < argv.count
        if zsetArgIs(a, "withdist") { withDist = true }
        else if zsetArgIs(a, "withhash") { withHash = true }
        else if zsetArgIs(a, "withcoord") { withCoord = true }
        else if zsetArgIs(a, "asc") { ascending = true }
        else if zsetArgIs(a, "desc") { ascending = false }
        else if zsetArgIs(a, "count") && hasNext {
            guard let n = call.int64(i + 1) else { return }
            guard n > 0 else { call.error("ERR COUNT must be > 0"); return }
            count = n
            i += 1
        } else if zsetArgIs(a, "store") && hasNext && !readOnly {
            storeKey = argv[i + 1]
            storeDist = false
            i += 1
        } else if zsetArgIs(a, "storedist") && hasNext && !readOnly {
            storeKey = argv[i + 1]
            storeDist = true
            i += 1
        } else {
            call.syntaxError()
            return
        }
        i += 1
    }
    if storeKey != nil && (withDist || withHash || withCoord) {
        call.error("ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORDS options")
        return
    }
    if count != 0 && ascending == nil { ascending = true }

    var points = z.geoPoints(longitude: centre.0, latitude: centre.1, radius: radius)
    if points.isEmpty && storeKey == nil { call.array(0); return }
    if let ascending {
        // Stable: equal distances keep the order they were found in.
        let indexed = points.enumerated().sorted { a, b in
            if a.element.distance != b.element.distance {
                return ascending ? a.element.distance < b.element.distance : a.element.distance > b.element.distance
            }
            return a.offset < b.offset
        }
        points = indexed.map { $0.element }
    }
    let returned = count == 0 ? points.count : Int(min(Int64(points.count), count))

    guard let storeKey else {
        let options = (withDist ? 1 : 0) + (withHash ? 1 : 0) + (withCoord ? 1 : 0)
        call.array(returned)
        for p in points.prefix(returned) {
            if options > 0 { call.array(options + 1) }
            call.bulk(p.member)
            if withDist { call.bulkDistance(p.distance / conversion) }
            if withHash { call.integer(Int64(p.score)) }
            if withCoord {
                call.array(2)
                call.bulkCoordinate(p.longitude)
                call.bulkCoordinate(p.latitude)
            }
        }
        return
    }

    let ks = call.ks, db = call.db
    if returned > 0 {
        let entries = points.prefix(returned).map {
            SortedSetEntry(member: $0.member, score: storeDist ? $0.distance / conversion : $0.score)
        }
        ks.set(db, storeKey, .zset(SortedSetValue(entries: entries, limits: ks.encodingLimits)))
        call.notify(.zset, "georadiusstore", storeKey)
        ks.dirty += Int64(returned)
    } else if ks.serverDelete(db, storeKey) {
        call.notify(.generic, "del", storeKey)
        ks.dirty += 1
    }
    call.integer(returned)
}
