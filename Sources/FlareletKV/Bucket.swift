// On-disk layout of the `entries` database.
//
// LMDB keys are limited to 511 bytes (`mdb_env_get_maxkeysize`), one byte short of KV's 512-byte key limit, and no
// order-preserving map squeezes every 512-byte key into 511 bytes. So the LMDB key is the KV key *truncated* to 511
// bytes, and its data is a small "bucket" of records, one per KV key with that truncation, each carrying the rest of
// its key (the "suffix", 0 or 1 byte today). Records in a bucket are sorted by suffix, empty first.
//
// This keeps LMDB's memcmp order equal to KV's UTF-8 byte order: two keys with different truncations compare like
// their truncations (a truncation shorter than 511 bytes *is* the key), and keys sharing a truncation compare like
// their suffixes. In practice every bucket holds one record; only keys of 511 and 512 bytes that share their first
// 511 bytes ever share a bucket.
//
//     bucket  := version:UInt8(1) record+
//     record  := suffixLength:UInt8 suffix flags:UInt8 [expiration:Int64] [metadataLength:UInt32 metadata]
//                valueLength:UInt32 value
//     flags   := bit 0 expiration present, bit 1 metadata (JSON text) present
//
// Integers are big-endian.

/// How the KV key maps to an LMDB key and the rest of the key kept in the record.
struct StoredKey: Sendable, Hashable {
    /// Bytes of the KV key that LMDB keys may hold.
    static let maxLMDBKeyBytes = 511

    /// The LMDB key: the first (at most) 511 bytes of the KV key.
    var lmdbKey: [UInt8]
    /// The remaining bytes of the KV key.
    var suffix: [UInt8]

    init(_ key: [UInt8]) {
        let cut = min(key.count, Self.maxLMDBKeyBytes)
        self.lmdbKey = Array(key[..<cut])
        self.suffix = Array(key[cut...])
    }

    init(lmdbKey: [UInt8], suffix: [UInt8]) {
        self.lmdbKey = lmdbKey
        self.suffix = suffix
    }

    var fullKey: [UInt8] { self.lmdbKey + self.suffix }
}

/// One KV entry as stored, with owned bytes.
struct StoredRecord: Sendable, Hashable {
    var suffix: [UInt8]
    var expiration: Int64?
    /// The metadata's `JSON.stringify` text, as UTF-8.
    var metadata: [UInt8]?
    var value: [UInt8]

    func isExpired(now: Int64) -> Bool {
        guard let expiration = self.expiration else { return false }
        return expiration <= now
    }
}

/// A record inside a bucket buffer, by byte ranges (no copies).
struct RecordView {
    var suffix: Range<Int>
    var expiration: Int64?
    var metadata: Range<Int>?
    var value: Range<Int>

    func isExpired(now: Int64) -> Bool {
        guard let expiration = self.expiration else { return false }
        return expiration <= now
    }

    func owned(in buffer: UnsafeRawBufferPointer) -> StoredRecord {
        StoredRecord(
            suffix: Array(buffer[self.suffix]),
            expiration: self.expiration,
            metadata: self.metadata.map { Array(buffer[$0]) },
            value: Array(buffer[self.value])
        )
    }
}

/// Encoding and decoding of buckets.
enum Bucket {
    static let version: UInt8 = 1

    /// Parses a bucket; `nil` when the bytes are not a valid bucket.
    static func parse(_ buffer: UnsafeRawBufferPointer) -> [RecordView]? {
        var reader = Reader(buffer: buffer)
        guard reader.byte() == self.version else { return nil }
        var records: [RecordView] = []
        while !reader.atEnd {
            guard let suffixLength = reader.byte(), let suffix = reader.range(Int(suffixLength)),
                let flags = reader.byte(), flags & ~0b11 == 0
            else { return nil }
            var expiration: Int64?
            if flags & 1 != 0 {
                guard let raw = reader.uint64() else { return nil }
                expiration = Int64(bitPattern: raw)
            }
            var metadata: Range<Int>?
            if flags & 2 != 0 {
                guard let length = reader.uint32(), let range = reader.range(Int(length)) else { return nil }
                metadata = range
            }
            guard let valueLength = reader.uint32(), let value = reader.range(Int(valueLength)) else { return nil }
            records.append(RecordView(suffix: suffix, expiration: expiration, metadata: metadata, value: value))
        }
        return records.isEmpty ? nil : records
    }

    /// Encodes records, which must be sorted by suffix and non-empty.
    static func encode(_ records: [StoredRecord]) -> [UInt8] {
        var size = 1
        for record in records {
            size += 1 + record.suffix.count + 1 + 8 + 4 + (record.metadata?.count ?? 0) + 4 + record.value.count
        }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        out.append(self.version)
        for record in records {
            out.append(UInt8(record.suffix.count))
            out += record.suffix
            let flags: UInt8 = (record.expiration == nil ? 0 : 1) | (record.metadata == nil ? 0 : 2)
            out.append(flags)
            if let expiration = record.expiration { self.append(UInt64(bitPattern: expiration), bytes: 8, to: &out) }
            if let metadata = record.metadata {
                self.append(UInt64(metadata.count), bytes: 4, to: &out)
                out += metadata
            }
            self.append(UInt64(record.value.count), bytes: 4, to: &out)
            out += record.value
        }
        return out
    }

    private static func append(_ value: UInt64, bytes: Int, to out: inout [UInt8]) {
        for shift in stride(from: (bytes - 1) * 8, through: 0, by: -8) {
            out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    private struct Reader {
        let buffer: UnsafeRawBufferPointer
        var offset = 0

        var atEnd: Bool { self.offset >= self.buffer.count }

        mutating func range(_ length: Int) -> Range<Int>? {
            guard length >= 0, self.buffer.count - self.offset >= length else { return nil }
            defer { self.offset += length }
            return self.offset..<(self.offset + length)
        }

        mutating func byte() -> UInt8? {
            guard let range = self.range(1) else { return nil }
            return self.buffer[range.lowerBound]
        }

        mutating func uint32() -> UInt32? {
            guard let range = self.range(4) else { return nil }
            return range.reduce(0) { $0 << 8 | UInt32(self.buffer[$1]) }
        }

        mutating func uint64() -> UInt64? {
            guard let range = self.range(8) else { return nil }
            return range.reduce(0) { $0 << 8 | UInt64(self.buffer[$1]) }
        }
    }
}
