"""genav.checkpoints: lives in the top-level `checkpoints/` folder and is installed as `genav.checkpoints`."""

if __name__ != "genav.checkpoints":  # the folder is reachable under two names; allow only one
    raise ImportError("import genav.checkpoints, not the bare 'checkpoints' folder")
