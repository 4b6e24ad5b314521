// `import FlareletTesting` brings the contract case runner (`ContractRunner`, `JSONMatcher`, …) along.
@_exported import FlareletContract
