import Testing

@testable import FlareletConfig

/// Strict UTF-8 checking of TOML files and the recorded position of `main` (issue 14, item 8).
struct ConfigPositionTests {
    @Test(
        arguments: [
            [0xC0, 0x80],  // overlong NUL
            [0xED, 0xA0, 0x80],  // a surrogate
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xE2, 0x82],  // truncated
            [0x80],  // a lone continuation byte
        ] as [[UInt8]]
    )
    func strictUTF8(_ bad: [UInt8]) {
        #expect(UTF8Check.firstInvalidOffset(in: Array("ok ".utf8) + bad) == 3)
    }

    @Test func validUTF8Passes() {
        #expect(UTF8Check.firstInvalidOffset(in: Array("é € 𝄞 plain".utf8)) == nil)
    }

    @Test func mainAndNamePositionsAreRecorded() throws {
        let withMain = try load("name = \"w\"\nmain   = \"nope\"\n").config
        #expect(withMain.mainPosition == ConfigPosition(line: 2, column: 10))
        let withoutMain = try load("# comment\nname = \"w\"\n").config
        #expect(withoutMain.mainPosition == ConfigPosition(line: 2, column: 8))
        let inherited = try load("name = \"w\"\nmain = \"top\"\n[env.e]\nname = \"x\"\n", env: "e").config
        #expect(inherited.mainPosition == ConfigPosition(line: 2, column: 8))
        let own = try load("name = \"w\"\nmain = \"top\"\n[env.e]\nmain = \"own\"\n", env: "e").config
        #expect(own.mainPosition == ConfigPosition(line: 4, column: 8))
    }
}
