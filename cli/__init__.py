"""genav.cli: lives in the top-level `cli/` folder and is installed as `genav.cli`."""

if __name__ != "genav.cli":  # the folder is reachable under two names; allow only one
    raise ImportError("import genav.cli, not the bare 'cli' folder")
