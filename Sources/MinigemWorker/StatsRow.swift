import Flarelet
import Foundation

/// A value of a `/stats` row could not be read (the whole answer becomes the fallback).
struct StatsError: Error, Sendable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One stored event as `/stats` reads it, with the "column, else the same key in `m`" fallbacks of section 8.2.
struct StatsRow: Sendable {
    static let columns =
        "id, t_ms, anon, evt, os, ext, vscode, country, duration_ms, wait_ms_total, exit_code, session_id, out_bytes_bucket, "
        + "scanner_usage, truncated_output, error_phase, exception_hash, m"

    var id: Int64
    var t: Int64
    var anon: String
    var evt: String
    var os: String?
    var ext: String?
    var vscode: String?
    var country: String?
    var session: String?
    private var durationColumn: Int64?
    private var waitColumn: Int64?
    private var exitColumn: Int64?
    private var bucketColumn: String?
    private var scannerColumn: Int64?
    private var truncatedColumn: Int64?
    private var phaseColumn: String?
    private var hashColumn: String?
    private var m: JSONObject?

    init(_ row: D1Row) {
        func text(_ name: String) -> String? {
            switch row[name] {
            case .text(let value)?: value
            case .integer(let value)?: String(value)
            case .real(let value)?: JavaScript.numberToString(value)
            default: nil
            }
        }
        func integer(_ name: String) -> Int64? {
            switch row[name] {
            case .integer(let value)?: value
            case .real(let value)?: Int64(exactly: value)
            case .text(let value)?: EventRow.parseInteger(value)
            default: nil
            }
        }
        self.id = integer("id") ?? 0
        self.t = integer("t_ms") ?? 0
        self.anon = text("anon") ?? ""
        self.evt = text("evt") ?? ""
        self.os = text("os")
        self.ext = text("ext")
        self.vscode = text("vscode")
        self.country = text("country")
        self.session = text("session_id")
        self.durationColumn = integer("duration_ms")
        self.waitColumn = integer("wait_ms_total")
        self.exitColumn = integer("exit_code")
        self.bucketColumn = text("out_bytes_bucket")
        self.scannerColumn = integer("scanner_usage")
        self.truncatedColumn = integer("truncated_output")
        self.phaseColumn = text("error_phase")
        self.hashColumn = text("exception_hash")
        if let json = text("m"), case .object(let object)? = try? JSONValue.parse(json) {
            self.m = object
        }
    }

    /// `m->>'key'`: strings as they are, other values as JSON text, `null` and absent as `nil`.
    func mText(_ key: String) -> String? {
        switch self.m?[key] {
        case nil, .null?: nil
        case .string(let text)?: text.string
        case let value?: value.stringify()
        }
    }

    private func mInteger(_ key: String) throws(StatsError) -> Int64? {
        guard let text = self.mText(key) else { return nil }
        guard let value = EventRow.parseInteger(text) else { throw StatsError("invalid input syntax for type bigint: \"\(text)\"") }
        return value
    }

    /// `duration_ms`, else `m.durationMs`.
    func duration() throws(StatsError) -> Int64? {
        if let column = self.durationColumn { return column }
        return try self.mInteger("durationMs")
    }
    /// `wait_ms_total`, else `m.waitMsTotal`.
    func wait() throws(StatsError) -> Int64? {
        if let column = self.waitColumn { return column }
        return try self.mInteger("waitMsTotal")
    }
    /// `exit_code`, else `m.exit`.
    func exit() throws(StatsError) -> Int64? {
        if let column = self.exitColumn { return column }
        return try self.mInteger("exit")
    }
    /// `exit_code` as text, else `m.exit`, else `"0"`.
    var exitText: String { self.exitColumn.map { String($0) } ?? self.mText("exit") ?? "0" }
    /// `out_bytes_bucket`, else `m.cumulativeBytesBucket`.
    var bucket: String? { self.bucketColumn ?? self.mText("cumulativeBytesBucket") }
    /// `error_phase`, else `m.phase`.
    var phase: String? { self.phaseColumn ?? self.mText("phase") }
    /// `exception_hash`, else `m.exceptionHash`.
    var exceptionHash: String? { self.hashColumn ?? self.mText("exceptionHash") }

    /// `scanner_usage`, else `m.scannerUsage` read as a PostgreSQL boolean.
    func interactive() throws(StatsError) -> Bool? {
        if let column = self.scannerColumn { return column != 0 }
        return try Self.postgresBoolean(self.m?["scannerUsage"])
    }

    /// `truncated_output`, else `m.truncatedOutput` read as a PostgreSQL boolean.
    func truncated() throws(StatsError) -> Bool? {
        if let column = self.truncatedColumn { return column != 0 }
        return try Self.postgresBoolean(self.m?["truncatedOutput"])
    }

    /// The boolean rule of 8.2: JSON booleans, `1`/`0`, and PostgreSQL's boolean words (and unambiguous prefixes).
    static func postgresBoolean(_ value: JSONValue?) throws(StatsError) -> Bool? {
        switch value {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case .number(let number)? where number == 1 || number == 0: return number == 1
        case .integer(let number)? where number == 1 || number == 0: return number == 1
        case .string(let text)?:
            let word = text.string.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            if !word.isEmpty {
                if "true".hasPrefix(word) || "yes".hasPrefix(word) || word == "on" || word == "1" { return true }
                if "false".hasPrefix(word) || "no".hasPrefix(word) || word == "of" || word == "off" || word == "0" { return false }
            }
            throw StatsError("invalid input syntax for type boolean: \"\(text)\"")
        case let value?:
            throw StatsError("invalid input syntax for type boolean: \"\(value.stringify())\"")
        }
    }
}
