// The one module a worker imports: protocols and values, JSON, and crypto helpers.
@_exported import FlareletCore
@_exported import FlareletCrypto
@_exported import FlareletJSON
@_exported import Logging
