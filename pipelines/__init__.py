"""genav.pipelines: lives in the top-level `pipelines/` folder and is installed as `genav.pipelines`."""

if __name__ != "genav.pipelines":  # the folder is reachable under two names; allow only one
    raise ImportError("import genav.pipelines, not the bare 'pipelines' folder")
