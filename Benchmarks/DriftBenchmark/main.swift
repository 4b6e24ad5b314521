print("Drift benchmark: not written yet")
