import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted on a fresh temporary directory, for disk-full tests. Mounting needs root (or
/// passwordless `sudo`); where the machine does not allow it, ``mount(megabytes:)`` says why.
public final class SmallDisk: @unchecked Sendable {
    /// The mounted directory.
    public let path: String
    private let sudo: Bool
    private var mounted = true

    private init(path: String, sudo: Bool) {
        self.path = path
        self.sudo = sudo
    }

    /// Why a tmpfs cannot be mounted here, or `nil` if it can (tried once per process).
    public static let unavailableReason: String? = {
        switch SmallDisk.mount(megabytes: 1) {
        case .success(let disk):
            disk.unmount()
            return nil
        case .failure(let reason):
            return reason.description
        }
    }()

    /// Why mounting failed.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// Mounts a tmpfs of `megabytes` MiB.
    public static func mount(megabytes: Int) -> Result<SmallDisk, Unavailable> {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flarelet-disk-\(UUID().uuidString.prefix(8))").path
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            return .failure(Unavailable(description: "cannot create \(path): \(error)"))
        }
        let arguments = ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0777", "tmpfs", path]
        let asRoot = getuid() == 0
        let result = Self.run(asRoot ? "/bin/mount" : "/usr/bin/sudo", asRoot ? arguments : ["-n", "/bin/mount"] + arguments)
        guard result.status == 0 else {
            try? FileManager.default.removeItem(atPath: path)
            let how = asRoot ? "mount -t tmpfs" : "sudo -n mount -t tmpfs"
            return .failure(
                Unavailable(description: "\(how) is not permitted here (\(result.output.trimmingCharacters(in: .whitespacesAndNewlines)))")
            )
        }
        return .success(SmallDisk(path: path, sudo: !asRoot))
    }

    /// Bytes still free on the disk.
    public var availableBytes: Int64 {
        var info = statvfs()
        guard statvfs(self.path, &info) == 0 else { return 0 }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Writes a file of `bytes` zero bytes (to be removed later to free space).
    public func fill(_ name: String, bytes: Int) throws {
        try Data(count: bytes).write(to: URL(fileURLWithPath: self.path + "/" + name))
    }

    /// Unmounts and removes the directory. Later calls do nothing.
    public func unmount() {
        guard self.mounted else { return }
        self.mounted = false
        _ = Self.run(self.sudo ? "/usr/bin/sudo" : "/bin/umount", self.sudo ? ["-n", "/bin/umount", self.path] : [self.path])
        try? FileManager.default.removeItem(atPath: self.path)
    }

    deinit { self.unmount() }

    private static func run(_ executable: String, _ arguments: [String]) -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: executable) else { return (127, "\(executable) not found") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return (127, "\(error)")
        }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
