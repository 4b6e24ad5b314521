import Testing
@Test func placeholderD() {}
