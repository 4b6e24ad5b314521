// `flarelet-reliability`: the reliability suite of Flarelet (RELIABILITY.md). Each subcommand starts the real
// `flarelet` binary, attacks it, and exits non-zero when an invariant breaks.
//
//   swift run flarelet-reliability fuzz --cases 100000
//   swift run flarelet-reliability crash --rounds 10
//   swift run flarelet-reliability diskfull
import ArgumentParser

ReliabilityCommand.main()
