print("VoiceMode benchmark: not written yet")
