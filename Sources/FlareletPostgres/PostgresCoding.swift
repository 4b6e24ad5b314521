import FlareletCore
import NIOCore
import PostgresNIO

/// Conversions between ``PostgresValue`` and the PostgreSQL wire format (parameters out, binary result cells in).
enum PostgresCoding {
    /// Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
    static let epochOffset: Int64 = 946_684_800_000_000

    // MARK: Parameters

    /// A parameter with an explicit type and format.
    struct Parameter: PostgresDynamicTypeEncodable {
        var psqlType: PostgresDataType
        var psqlFormat: PostgresFormat
        var bytes: ByteBuffer

        func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
            var copy = self.bytes
            byteBuffer.writeBuffer(&copy)
        }
    }

    static func bind(_ value: PostgresValue, into binds: inout PostgresBindings) {
        switch value {
        case .null:
            binds.appendNull()
        case .bool(let flag):
            binds.append(flag)
        case .integer(let number):
            binds.append(number)
        case .double(let number):
            binds.append(number)
        case .text(let text):
            // Text format with an unspecified type (OID 0): the server infers the type from the statement and parses
            // the text with that type's input function, as for node-postgres parameters.
            binds.append(Parameter(psqlType: PostgresDataType(0), psqlFormat: .text, bytes: ByteBuffer(string: text)))
        case .timestamp(let micros):
            var buffer = ByteBuffer()
            let raw: Int64 =
                switch micros {
                case .max, .min: micros
                default: micros &- self.epochOffset
                }
            buffer.writeInteger(raw)
            binds.append(Parameter(psqlType: .timestamptz, psqlFormat: .binary, bytes: buffer))
        case .bytes(let bytes):
            binds.append(Parameter(psqlType: .bytea, psqlFormat: .binary, bytes: ByteBuffer(bytes: bytes)))
        }
    }

    // MARK: Results

    static func value(of cell: PostgresCell) throws(PostgresDriverError) -> PostgresValue {
        guard var buffer = cell.bytes else { return .null }
        if cell.format == .text {
            return .text(buffer.readString(length: buffer.readableBytes) ?? "")
        }
        func fail() -> PostgresDriverError {
            let name = cell.dataType.knownSQLName?.lowercased() ?? "OID \(cell.dataType.rawValue)"
            return PostgresDriverError(
                .decoding,
                "column \"\(cell.columnName)\" has type \(name), which Flarelet does not read; cast it in SQL "
                    + "(for example \(cell.columnName)::text)"
            )
        }
        switch cell.dataType {
        case .bool:
            guard let byte = buffer.readInteger(as: UInt8.self) else { throw fail() }
            return .bool(byte != 0)
        case .int2:
            guard let number = buffer.readInteger(as: Int16.self) else { throw fail() }
            return .integer(Int64(number))
        case .int4:
            guard let number = buffer.readInteger(as: Int32.self) else { throw fail() }
            return .integer(Int64(number))
        case .oid, PostgresDataType(2205):  // oid, regclass
            guard let number = buffer.readInteger(as: UInt32.self) else { throw fail() }
            return .integer(Int64(number))
        case .int8:
            guard let number = buffer.readInteger(as: Int64.self) else { throw fail() }
            return .integer(number)
        case .float4:
            guard let bits = buffer.readInteger(as: UInt32.self) else { throw fail() }
            return .double(Double(Float(bitPattern: bits)))
        case .float8:
            guard let bits = buffer.readInteger(as: UInt64.self) else { throw fail() }
            return .double(Double(bitPattern: bits))
        case .text, .varchar, .bpchar, .name, .unknown, .json, PostgresDataType(18):  // 18: "char"
            return .text(buffer.readString(length: buffer.readableBytes) ?? "")
        case .jsonb:
            guard buffer.readInteger(as: UInt8.self) == 1 else { throw fail() }
            return .text(buffer.readString(length: buffer.readableBytes) ?? "")
        case .uuid:
            guard let bytes = buffer.readBytes(length: 16) else { throw fail() }
            return .text(Self.uuidText(bytes))
        case .numeric:
            guard let text = Self.numericText(&buffer) else { throw fail() }
            return .text(text)
        case .timestamptz, .timestamp:
            guard let raw = buffer.readInteger(as: Int64.self) else { throw fail() }
            switch raw {
            case .max, .min: return .timestamp(microseconds: raw)
            default: return .timestamp(microseconds: raw &+ self.epochOffset)
            }
        case .date:
            guard let days = buffer.readInteger(as: Int32.self) else { throw fail() }
            if days == .max { return .text("infinity") }
            if days == .min { return .text("-infinity") }
            let (year, month, day) = CivilCalendar.date(days: Int(days) + 10957)
            func pad(_ value: Int, _ width: Int) -> String {
                let text = String(abs(value))
                return String(repeating: "0", count: max(0, width - text.count)) + text
            }
            let yearText = year > 0 ? pad(year, 4) : pad(1 - year, 4)
            return .text("\(yearText)-\(pad(month, 2))-\(pad(day, 2))" + (year > 0 ? "" : " BC"))
        case .bytea:
            return .bytes(buffer.readBytes(length: buffer.readableBytes) ?? [])
        case PostgresDataType(2278):  // void, e.g. SELECT pg_advisory_xact_lock(…)
            return .null
        default:
            throw fail()
        }
    }

    static func uuidText(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for (index, byte) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(index) { text.append("-") }
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return text
    }

    /// PostgreSQL's `numeric_out` text of a binary `numeric`: base-10000 digit groups, a weight, a sign and a
    /// display scale.
    static func numericText(_ buffer: inout ByteBuffer) -> String? {
        guard let count = buffer.readInteger(as: Int16.self), let weight = buffer.readInteger(as: Int16.self),
            let sign = buffer.readInteger(as: UInt16.self), let scale = buffer.readInteger(as: UInt16.self), count >= 0
        else { return nil }
        var groups: [Int] = []
        for _ in 0..<count {
            guard let group = buffer.readInteger(as: Int16.self) else { return nil }
            groups.append(Int(group))
        }
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        default: break
        }
        func group(_ index: Int) -> Int { index >= 0 && index < groups.count ? groups[index] : 0 }
        var integer = ""
        if weight < 0 {
            integer = "0"
        } else {
            for index in 0...Int(weight) {
                let value = group(index)
                if index == 0 {
                    integer += String(value)
                } else {
                    let text = String(value)
                    integer += String(repeating: "0", count: 4 - text.count) + text
                }
            }
        }
        var fraction = ""
        if scale > 0 {
            var index = Int(weight) + 1
            while fraction.count < Int(scale) {
                let text = String(group(index))
                fraction += String(repeating: "0", count: 4 - text.count) + text
                index += 1
            }
            fraction = String(fraction.prefix(Int(scale)))
        }
        let body = fraction.isEmpty ? integer : integer + "." + fraction
        return sign == 0x4000 ? "-" + body : body
    }
}
