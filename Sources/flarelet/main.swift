import FlareletCLI

await FlareletCommand.main()
