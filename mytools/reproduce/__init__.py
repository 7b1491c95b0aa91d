"""Re-execute any review's data: reader + engine -> comparison with RevMan's stored numbers."""
from mytools.reproduce.engine_call import EngineCall, engine_call

__all__ = ["EngineCall", "engine_call"]
