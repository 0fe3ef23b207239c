// The tag vocabulary of a tagger: "O" first, then B-/I- for each entity type in sorted order
// (so the index of a tag is reproducible from the set of types alone).

public struct LabelSet: Equatable, Sendable {
    public let labels: [String]
    let index: [String: Int]

    public init(types: [String]) {
        let sorted = Array(Set(types)).sorted()
        labels = ["O"] + sorted.flatMap { ["B-" + $0, "I-" + $0] }
        index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
    }

    /// The types of every B-/I- tag in `tags`.
    public init(tags: [[String]]) {
        var types = Set<String>()
        for row in tags { for t in row where t.count > 2 && t.dropFirst(2).count > 0 && (t.hasPrefix("B-") || t.hasPrefix("I-")) { types.insert(String(t.dropFirst(2))) } }
        self.init(types: Array(types))
    }

    public var types: [String] { labels.filter { $0.hasPrefix("B-") }.map { String($0.dropFirst(2)) } }
    public var count: Int { labels.count }
    public func id(_ tag: String) -> Int? { index[tag] }
}
