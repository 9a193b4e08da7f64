// GeoSearch: the points of a sorted set within a radius, as GEORADIUS finds them.
//
// Contract: scans the score intervals of GeoHash.searchIntervals in their order,
// keeps the members whose decoded position lies within `radius` meters of the
// centre (distance <= radius), and returns them in the order found. Sorting,
// COUNT and units belong to the command.

/// A member found by a radius search.
public struct GeoPoint: Equatable, Sendable {
    public var member: Bytes
    public var score: Double
    public var longitude: Double
    public var latitude: Double
    /// Meters from the centre of the search.
    public var distance: Double
}

extension SortedSetValue {
    /// Members within `radius` meters of (longitude, latitude).
    public func geoPoints(longitude: Double, latitude: Double, radius: Double) -> [GeoPoint] {
        var out: [GeoPoint] = []
        for (lo, hi) in GeoHash.searchIntervals(longitude: longitude, latitude: latitude, radius: radius) {
            let range = SortedSetScoreRange(min: lo, max: hi, minExclusive: false, maxExclusive: true)
            for e in entries(ranks: ranks(in: range)) {
                guard let p = GeoHash.position(score: e.score) else { continue }
                let d = GeoHash.distance(longitude, latitude, p.longitude, p.latitude)
                if d > radius { continue }
                out.append(GeoPoint(member: e.member, score: e.score, longitude: p.longitude,
                                    latitude: p.latitude, distance: d))
            }
        }
        return out
    }
}
