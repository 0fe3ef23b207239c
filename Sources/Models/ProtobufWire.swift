// Protocol Buffers wire format (developers.google.com/protocol-buffers/docs/encoding), just
// enough to write a SentencePiece ModelProto and to read fields back out of one: varints
// (int32 sign-extended to 10 bytes, as protoc does), length-delimited bytes and messages,
// fixed32 floats. Not here: schemas, packed repeated fields, groups, fixed64 values.

/// Appends protobuf fields to a byte buffer.
public struct ProtobufWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func tag(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// int32/enum/bool field (wire type 0); negative values take 10 bytes.
    public mutating func int(_ field: Int, _ value: Int) {
        tag(field, 0)
        varint(UInt64(bitPattern: Int64(value)))
    }

    public mutating func bool(_ field: Int, _ value: Bool) { int(field, value ? 1 : 0) }

    /// float field (wire type 5, little-endian IEEE binary32).
    public mutating func float(_ field: Int, _ value: Float) {
        tag(field, 5)
        let bits = value.bitPattern
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt32(i)))) }
    }

    /// bytes/string/embedded-message field (wire type 2).
    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        tag(field, 2)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    public mutating func message(_ field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        bytes(field, inner.bytes)
    }
}

/// One field read from a message.
public struct ProtobufField: Sendable {
    public enum Value: Sendable, Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes([UInt8])
        case fixed32(UInt32)
    }
    public var number: Int
    public var value: Value

    public var bytes: [UInt8]? { if case let .bytes(b) = value { return b } else { return nil } }
    public var varint: UInt64? { if case let .varint(v) = value { return v } else { return nil } }
    public var float: Float? { if case let .fixed32(v) = value { return Float(bitPattern: v) } else { return nil } }
}

/// Splits one serialized message into its fields (in order, repeated fields repeated).
/// - Throws: `ModelError` naming `name` and the byte offset on malformed input.
public func protobufFields(_ message: [UInt8], name: String) throws -> [ProtobufField] {
    var fields: [ProtobufField] = []
    var i = 0
    func varint() throws -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard i < message.count else {
                throw ModelError.truncated(file: name, place: "protobuf varint", needed: 1, offset: i, fileSize: message.count)
            }
            let b = message[i]
            i += 1
            guard shift < 64 else {
                throw ModelError.invalid(file: name, place: "protobuf varint at \(i)", found: "more than 10 bytes", expected: "a varint")
            }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }
    func take(_ n: Int, _ what: String) throws -> [UInt8] {
        guard n >= 0, n <= message.count - i else {
            throw ModelError.truncated(file: name, place: "protobuf \(what)", needed: n, offset: i, fileSize: message.count)
        }
        defer { i += n }
        return Array(message[i..<(i + n)])
    }
    while i < message.count {
        let key = try varint()
        let number = Int(key >> 3)
        switch key & 7 {
        case 0: fields.append(ProtobufField(number: number, value: .varint(try varint())))
        case 1:
            let b = try take(8, "fixed64 field \(number)")
            fields.append(ProtobufField(number: number, value: .fixed64(b.reversed().reduce(0) { $0 << 8 | UInt64($1) })))
        case 2:
            let n = try varint()
            guard n <= UInt64(Int.max) else {
                throw ModelError.invalid(file: name, place: "protobuf field \(number) length", found: "\(n)", expected: "a length")
            }
            fields.append(ProtobufField(number: number, value: .bytes(try take(Int(n), "field \(number)"))))
        case 5:
            let b = try take(4, "fixed32 field \(number)")
            fields.append(ProtobufField(number: number, value: .fixed32(b.reversed().reduce(0) { $0 << 8 | UInt32($1) })))
        default:
            throw ModelError.invalid(file: name, place: "protobuf field \(number) at \(i)", found: "wire type \(key & 7)",
                                     expected: "0, 1, 2 or 5")
        }
    }
    return fields
}
