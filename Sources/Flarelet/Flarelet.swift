// The one module a worker imports: protocols and values, JSON, JavaScript semantics and crypto helpers.
@_exported import FlareletCore
@_exported import FlareletCrypto
@_exported import FlareletJSON
@_exported import FlareletJavaScript
@_exported import Logging
