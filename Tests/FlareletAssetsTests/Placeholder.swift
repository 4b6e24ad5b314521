import Testing
@Test func placeholderA() {}
