// GeoHash: the geohash arithmetic behind the GEO commands, numerically as Redis.
//
// Contract: a position is stored as a sorted-set score, the 52-bit interleave of
// 26-bit latitude and longitude cells (latitude bits at even positions) over
// longitude [-180, 180] and latitude [-85.05112878, 85.05112878]. Decoding gives
// the centre of the cell, clamped to those ranges (as Redis 5+ does; 4.0 could
// print a hair past 180 or 85.05112878 for points on the very edge). Distances
// use Redis's haversine with earth radius 6372797.560856 m and the same libm
// calls in the same order, so results agree with redis-server to the last digit.
//
// The tricky bit: radius searches. Like Redis, a search estimates a geohash step
// from the radius, takes the centre cell and its 8 neighbours (dropping those the
// bounding box cannot reach, and a neighbour equal to the one before it), and
// scans each as a score interval [min, max); the caller filters by distance.
// The bounding box and the coarser-step test are Redis 6.2+'s: Redis 4.0's used
// the centre latitude only and missed points within large radii near the poles.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum GeoHash {
    public static let longitudeMin = -180.0
    public static let longitudeMax = 180.0
    public static let latitudeMin = -85.05112878
    public static let latitudeMax = 85.05112878
    public static let earthRadius = 6372797.560856
    static let stepMax = 26
    static let mercatorMax = 20037726.37
    static let degreesToRadians = Double.pi / 180.0

    /// A cell: `step` bits of each coordinate, interleaved.
    struct Cell: Equatable {
        var bits: UInt64
        var step: Int
        var isZero: Bool { bits == 0 && step == 0 }
        static let zero = Cell(bits: 0, step: 0)
    }

    struct Area {
        var lonMin, lonMax, latMin, latMax: Double
    }

    // MARK: bit interleaving

    /// Spreads the 32 bits of `v` to the even positions of a 64-bit word.
    static func spread(_ v: UInt32) -> UInt64 {
        var x = UInt64(v)
        x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF
        x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF
        x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F
        x = (x | (x << 2)) & 0x3333_3333_3333_3333
        x = (x | (x << 1)) & 0x5555_5555_5555_5555
        return x
    }

    /// Gathers the even-position bits of `v` into 32 bits.
    static func squeeze(_ v: UInt64) -> UInt32 {
        var x = v & 0x5555_5555_5555_5555
        x = (x | (x >> 1)) & 0x3333_3333_3333_3333
        x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F
        x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF
        x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF
        x = (x | (x >> 16)) & 0x0000_0000_FFFF_FFFF
        return UInt32(x)
    }

    // MARK: encode and decode

    /// The cell of (longitude, latitude) at `step` over the given ranges; nil outside them.
    static func encode(longitude: Double, latitude: Double, step: Int,
                       lonRange: (Double, Double) = (longitudeMin, longitudeMax),
                       latRange: (Double, Double) = (latitudeMin, latitudeMax)) -> Cell? {
        guard step >= 1 && step <= 32 else { return nil }
        if longitude > longitudeMax || longitude < longitudeMin || latitude > latitudeMax || latitude < latitudeMin {
            return nil
        }
        guard latitude >= latRange.0 && latitude <= latRange.1 && longitude >= lonRange.0 && longitude <= lonRange.1 else {
            return nil
        }
        let scale = Double(UInt64(1) << UInt64(step))
        let latOffset = (latitude - latRange.0) / (latRange.1 - latRange.0) * scale
        let lonOffset = (longitude - lonRange.0) / (lonRange.1 - lonRange.0) * scale
        let bits = spread(UInt32(latOffset)) | (spread(UInt32(lonOffset)) << 1)
        return Cell(bits: bits, step: step)
    }

    static func decode(_ cell: Cell) -> Area? {
        guard !cell.isZero else { return nil }
        let ilat = Double(squeeze(cell.bits))
        let ilon = Double(squeeze(cell.bits >> 1))
        let scale = Double(UInt64(1) << UInt64(cell.step))
        let latSpan = latitudeMax - latitudeMin, lonSpan = longitudeMax - longitudeMin
        return Area(lonMin: longitudeMin + (ilon * 1.0 / scale) * lonSpan,
                    lonMax: longitudeMin + ((ilon + 1) * 1.0 / scale) * lonSpan,
                    latMin: latitudeMin + (ilat * 1.0 / scale) * latSpan,
                    latMax: latitudeMin + ((ilat + 1) * 1.0 / scale) * latSpan)
    }

    /// The score GEOADD stores for a position (nil outside the valid ranges).
    public static func score(longitude: Double, latitude: Double) -> UInt64? {
        guard let cell = encode(longitude: longitude, latitude: latitude, step: stepMax) else { return nil }
        return cell.bits << UInt64(52 - 2 * cell.step)
    }

    /// A double converted to uint64 as C does on x86-64 (what Redis applies to a score).
    static func cUInt64(_ x: Double) -> UInt64 {
        let two63 = 9_223_372_036_854_775_808.0
        if x < two63 {
            return x >= -two63 ? UInt64(bitPattern: Int64(x)) : 0x8000_0000_0000_0000
        }
        let y = x - two63
        let r: UInt64 = y < two63 ? UInt64(bitPattern: Int64(y)) : 0x8000_0000_0000_0000
        return r ^ 0x8000_0000_0000_0000
    }

    /// The position a score stands for: the centre of its cell, clamped to the ranges.
    public static func position(score: Double) -> (longitude: Double, latitude: Double)? {
        guard let a = decode(Cell(bits: cUInt64(score), step: stepMax)) else { return nil }
        var lon = (a.lonMin + a.lonMax) / 2
        var lat = (a.latMin + a.latMax) / 2
        lon = Swift.min(Swift.max(lon, longitudeMin), longitudeMax)
        lat = Swift.min(Swift.max(lat, latitudeMin), latitudeMax)
        return (lon, lat)
    }

    /// The 11-character standard geohash (latitude over [-90, 90]) of a score.
    public static func geohashString(score: Double) -> Bytes? {
        guard let p = position(score: score),
              let cell = encode(longitude: p.longitude, latitude: p.latitude, step: stepMax,
                                lonRange: (-180, 180), latRange: (-90, 90)) else { return nil }
        let alphabet = Array("0123456789bcdefghjkmnpqrstuvwxyz".utf8)
        var out: Bytes = []
        for i in 0..<11 {
            let idx = i == 10 ? 0 : Int((cell.bits >> UInt64(52 - (i + 1) * 5)) & 0x1F)
            out.append(alphabet[idx])
        }
        return out
    }

    // MARK: distance

    /// Great-circle distance in meters (Redis's haversine).
    public static func distance(_ lon1: Double, _ lat1: Double, _ lon2: Double, _ lat2: Double) -> Double {
        let lat1r = lat1 * degreesToRadians
        let lon1r = lon1 * degreesToRadians
        let lat2r = lat2 * degreesToRadians
        let lon2r = lon2 * degreesToRadians
        let u = sin((lat2r - lat1r) / 2)
        let v = sin((lon2r - lon1r) / 2)
        return 2.0 * earthRadius * asin(sqrt(u * u + cos(lat1r) * cos(lat2r) * v * v))
    }

    // MARK: radius search

    static func estimateStep(radius: Double, latitude: Double) -> Int {
        if radius == 0 { return 26 }
        var range = radius
        var step = 1
        while range < mercatorMax {
            range *= 2
            step += 1
        }
        step -= 2
        if latitude > 66 || latitude < -66 {
            step -= 1
            if latitude > 80 || latitude < -80 { step -= 1 }
        }
        return Swift.min(Swift.max(step, 1), 26)
    }

    /// Moves a cell east (+1) or west (-1): the longitude bits are the odd ones.
    static func moveX(_ c: Cell, _ d: Int) -> Cell {
        move(c, d, moving: 0xAAAA_AAAA_AAAA_AAAA, fixed: 0x5555_5555_5555_5555)
    }

    /// Moves a cell north (+1) or south (-1): the latitude bits are the even ones.
    static func moveY(_ c: Cell, _ d: Int) -> Cell {
        move(c, d, moving: 0x5555_5555_5555_5555, fixed: 0xAAAA_AAAA_AAAA_AAAA)
    }

    /// Adds or subtracts one on the interleaved bits `moving`, leaving the `fixed` ones:
    /// filling the fixed positions with ones lets the carry (or borrow) jump over them.
    private static func move(_ c: Cell, _ d: Int, moving: UInt64, fixed: UInt64) -> Cell {
        if d == 0 { return c }
        let shift = UInt64(64 - c.step * 2)
        var m = c.bits & moving
        let f = c.bits & fixed
        let filler: UInt64 = fixed >> shift
        if d > 0 {
            m = m &+ (filler &+ 1)
        } else {
            m = m | filler
            m = m &- (filler &+ 1)
        }
        m &= (moving >> shift)
        return Cell(bits: m | f, step: c.step)
    }

    /// The cells a radius search scans, in Redis's order: centre, N, S, E, W, NE, NW, SE, SW,
    /// as score intervals [min, max).
    public static func searchIntervals(longitude: Double, latitude: Double, radius: Double) -> [(Double, Double)] {
        // Redis 4.0's bounding box (its longitude span taken at the centre's latitude) and its
        // test for a step too fine: a neighbour's far edge nearer than the radius. GEORADIUS
        // STORE replicates verbatim, so the cells, and so the members found, must be 4.0's.
        let latDelta = radius / earthRadius / degreesToRadians
        let lonDelta = radius / earthRadius / cos(latitude * degreesToRadians) / degreesToRadians
        let minLon = longitude - lonDelta, maxLon = longitude + lonDelta
        let minLat = latitude - latDelta, maxLat = latitude + latDelta

        var step = estimateStep(radius: radius, latitude: latitude)
        func cells(_ step: Int) -> (Cell, [Cell], Area) {
            let c = encode(longitude: longitude, latitude: latitude, step: step) ?? .zero
            let n = [moveY(c, 1), moveY(c, -1), moveX(c, 1), moveX(c, -1),
                     moveY(moveX(c, 1), 1), moveY(moveX(c, -1), 1), moveY(moveX(c, 1), -1), moveY(moveX(c, -1), -1)]
            let area = decode(c) ?? Area(lonMin: 0, lonMax: 0, latMin: 0, latMax: 0)
            return (c, n, area)
        }
        var (centre, around, area) = cells(step)

        var decrease = false
        if let north = decode(around[0]), distance(longitude, latitude, longitude, north.latMax) < radius { decrease = true }
        if let south = decode(around[1]), distance(longitude, latitude, longitude, south.latMin) < radius { decrease = true }
        if let east = decode(around[2]), distance(longitude, latitude, east.lonMax, latitude) < radius { decrease = true }
        if let west = decode(around[3]), distance(longitude, latitude, west.lonMin, latitude) < radius { decrease = true }
        if step > 1 && decrease {
            step -= 1
            (centre, around, area) = cells(step)
        }

        // Drop the neighbours the bounding box cannot reach (indices: N0 S1 E2 W3 NE4 NW5 SE6 SW7).
        if step >= 2 {
            if area.latMin < minLat { for k in [1, 7, 6] { around[k] = .zero } }
            if area.latMax > maxLat { for k in [0, 4, 5] { around[k] = .zero } }
            if area.lonMin < minLon { for k in [3, 7, 5] { around[k] = .zero } }
            if area.lonMax > maxLon { for k in [2, 6, 4] { around[k] = .zero } }
        }

        let all = [centre] + around
        var out: [(Double, Double)] = []
        // As Redis, a cell equal to the last neighbour scanned is skipped (huge radii make
        // neighbours coincide); the comparison is never made against the centre.
        var lastScanned = 0
        for (i, c) in all.enumerated() {
            if c.isZero { continue }
            if lastScanned != 0 && all[lastScanned] == c { continue }
            let shift = UInt64(52 - c.step * 2)
            out.append((Double(c.bits << shift), Double((c.bits + 1) << shift)))
            lastScanned = i
        }
        return out
    }
}
