"""genav.pipelines: lives in the top-level `pipelines/` folder and is installed as `genav.pipelines`."""

if __name__ != "genav.pipelines":  # the folder is reachable under two names; allow only one
    raise ImportError("import genav.pipelines, not the bare 'pipelines' folder")

from genav.registry import list_models, resolve_model  # noqa: E402  (re-exported for the CLI)

__all__ = ["list_models", "resolve_model"]
