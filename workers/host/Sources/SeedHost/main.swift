import FlareletCLI

await FlareletMain.run()
