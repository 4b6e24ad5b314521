print("Runt benchmark: not written yet")
